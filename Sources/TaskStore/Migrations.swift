import Logging

/// One schema change: its version, a description, and its statements in a dialect.
struct Migration: Sendable {
    var version: Int
    var description: String
    var statements: @Sendable (SQLDialect) -> [String]
}

/// The store's schema, as an ordered list of migrations applied at open.
///
/// A table `schema_migrations` records the versions applied. Pending migrations run in one transaction, under a
/// lock that keeps two processes from migrating one database at once (SQLite's write lock, PostgreSQL's advisory
/// lock); a store whose schema is newer than ``latestVersion`` is refused.
enum Migrations {
    static let all: [Migration] = [
        Migration(version: 1, description: "tasks, task_logs and task_events") { d in
            [
                """
                CREATE TABLE tasks (
                    id \(d.autoIncrementPrimaryKey),
                    dag_id TEXT NOT NULL,
                    task_id TEXT NOT NULL,
                    run_id TEXT NOT NULL,
                    map_index \(d.bigIntType) NOT NULL,
                    try_number \(d.bigIntType) NOT NULL,
                    command TEXT NOT NULL,
                    image TEXT,
                    namespace TEXT,
                    pod_override TEXT,
                    env TEXT NOT NULL,
                    state TEXT NOT NULL,
                    reason TEXT,
                    pod_name TEXT,
                    pod_namespace TEXT,
                    controller_id TEXT,
                    cancel_requested INTEGER NOT NULL DEFAULT 0,
                    queued_at \(d.timestampType) NOT NULL,
                    launched_at \(d.timestampType),
                    running_at \(d.timestampType),
                    finished_at \(d.timestampType),
                    updated_at \(d.timestampType) NOT NULL,
                    UNIQUE (dag_id, task_id, run_id, map_index, try_number)
                )
                """,
                "CREATE INDEX tasks_state_idx ON tasks (state, id)",
                """
                CREATE TABLE task_logs (
                    instance_id \(d.bigIntType) NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
                    seq \(d.bigIntType) NOT NULL,
                    chunk \(d.blobType) NOT NULL,
                    PRIMARY KEY (instance_id, seq)
                )
                """,
                """
                CREATE TABLE task_events (
                    id \(d.autoIncrementPrimaryKey),
                    instance_id \(d.bigIntType) NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
                    at \(d.timestampType) NOT NULL,
                    from_state TEXT,
                    to_state TEXT NOT NULL,
                    reason TEXT,
                    controller_id TEXT,
                    pod_name TEXT,
                    node TEXT
                )
                """,
                "CREATE INDEX task_events_instance_idx ON task_events (instance_id, id)",
            ]
        },
        Migration(version: 2, description: "per-task pod templates, the controller registry, adoption indexes") { d in
            [
                "ALTER TABLE tasks ADD COLUMN pod_template TEXT",
                """
                CREATE TABLE controllers (
                    id TEXT PRIMARY KEY,
                    host TEXT,
                    started_at \(d.timestampType) NOT NULL,
                    heartbeat_at \(d.timestampType) NOT NULL,
                    stopped_at \(d.timestampType)
                )
                """,
                // By state, then holder, then id: a controller's live tasks (restart, adoption), the unclaimed queued
                // tasks in id order (candidates and claims), and the claimed queued share of the active load.
                "CREATE INDEX tasks_state_controller_idx ON tasks (state, controller_id, id)",
                // The queued timeout: queued tasks by age.
                "CREATE INDEX tasks_state_queued_at_idx ON tasks (state, queued_at)",
            ]
        },
        Migration(version: 3, description: "external ids, change sequence, args and sensitive tasks for the HTTP API") { d in
            [
                "ALTER TABLE tasks ADD COLUMN external_id TEXT",
                "ALTER TABLE tasks ADD COLUMN args TEXT",
                "ALTER TABLE tasks ADD COLUMN sensitive INTEGER NOT NULL DEFAULT 0",
                "ALTER TABLE tasks ADD COLUMN change_seq \(d.bigIntType) NOT NULL DEFAULT 0",
                // One row: the last change sequence handed out. Bumping it locks the row until commit, so change
                // sequences commit in order and a reader that saw sequence N has seen every change up to N.
                "CREATE TABLE task_change_clock (id INTEGER PRIMARY KEY, seq \(d.bigIntType) NOT NULL)",
                "INSERT INTO task_change_clock (id, seq) VALUES (1, 0)",
                // `updated_since`: the tasks changed after a cursor, in change order.
                "CREATE INDEX tasks_change_seq_idx ON tasks (change_seq, id)",
                "CREATE INDEX tasks_external_id_idx ON tasks (external_id)",
                "CREATE INDEX tasks_dag_run_idx ON tasks (dag_id, run_id, id)",
            ]
        },
    ]

    static var latestVersion: Int { all.last?.version ?? 0 }

    /// Brings the schema of `backend` up to ``latestVersion``. An up-to-date store is only read.
    static func migrate(
        _ backend: any SQLBackend, location: String, logger: Logger, migrations: [Migration] = all
    ) async throws {
        let latest = migrations.last?.version ?? 0
        if let current = try await appliedVersion(backend) {
            try check(current, latest: latest, location: location)
            if current == latest { return }
        }
        let applied = try await backend.transaction { db in
            // Two controllers starting at once on a new database: the second waits here for the first to finish,
            // then finds the schema up to date.
            if let lock = db.dialect.migrationLockStatement {
                try await db.execute(lock)
            }
            try await db.execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version \(db.dialect.bigIntType) PRIMARY KEY,
                    description TEXT NOT NULL,
                    applied_at \(db.dialect.timestampType) NOT NULL
                )
                """
            )
            // Read again inside the transaction: another process may have migrated meanwhile.
            let current = try await maxVersion(db)
            try check(current, latest: latest, location: location)
            var applied: [Int] = []
            for migration in migrations where migration.version > current {
                for statement in migration.statements(db.dialect) {
                    try await db.execute(statement)
                }
                try await db.execute(
                    "INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)",
                    SQLValue(migration.version), .text(migration.description), .real(WallClock.now())
                )
                applied.append(migration.version)
            }
            return applied
        }
        for version in applied {
            logger.info(
                "Applied task store migration",
                metadata: ["store.path": .string(location), "schema.version": .stringConvertible(version)]
            )
        }
    }

    /// The highest applied version, or nil when the store has no `schema_migrations` table yet.
    private static func appliedVersion(_ db: any SQLExecutor) async throws -> Int? {
        do {
            return try await maxVersion(db)
        } catch let error as SQLError where error.kind == .undefinedTable {
            return nil
        }
    }

    private static func maxVersion(_ db: any SQLExecutor) async throws -> Int {
        let rows = try await db.execute("SELECT MAX(version) AS version FROM schema_migrations")
        return rows.first?.optionalInt64("version").map { Int($0) } ?? 0
    }

    private static func check(_ current: Int, latest: Int, location: String) throws(TaskStoreError) {
        guard current <= latest else {
            throw TaskStoreError(
                .schema,
                "The task store '\(location)' has schema version \(current), but this taskpod knows versions up "
                    + "to \(latest): it was written by a newer taskpod. Upgrade taskpod to use this store."
            )
        }
    }
}
