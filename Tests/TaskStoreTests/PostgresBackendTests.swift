import Foundation
import TestSupport
import Testing
@testable import TaskStore

@Suite("PostgreSQL backend: concurrency, connections, types and secrets")
struct PostgresBackendTests {
    @Test("claimers skip the rows another claim holds instead of waiting for its transaction (SKIP LOCKED)")
    func skipLockedClaimersRunInParallel() async throws {
        try await withStore(.postgres) { first, url in
            let second = try await TaskStore.open(url, logger: quietLogger)
            let ids = try await submitMany(first, count: 10).map(\.id)
            let (claimedByHolder, claimed) = AsyncStream.makeStream(of: [Int64].self)
            let (released, release) = AsyncStream.makeStream(of: Void.self)

            // The first controller claims four tasks and keeps its transaction, and so the rows' locks, open until the
            // other claim below has ended: that claim ran while the locks were held.
            async let holder: [Int64] = first.backend.transaction { db in
                let mine = try await TaskStore.claim(limit: 4, controllerID: "holder", reclaimFrom: [], db).map(\.id)
                claimed.yield(mine)
                #expect(await awaitSignal(released), "the other claim did not end while the locks were held")
                return mine
            }
            var iterator = claimedByHolder.makeAsyncIterator()
            let held = try #require(await iterator.next())
            #expect(held == Array(ids.prefix(4)))

            // The rows really are locked: a lock that may not wait fails at once.
            let lockError = try await #require(throws: SQLError.self) {
                try await second.backend.transaction { db in
                    try await db.execute("SELECT id FROM tasks WHERE id = ? FOR UPDATE NOWAIT", .integer(ids[0]))
                }
            }
            #expect(lockError.kind == .busy)

            // Yet another controller claims the other tasks without waiting for the holder to commit.
            let start = ContinuousClock.now
            let other = try await second.claimQueued(limit: 10, controllerID: "other")
            let waited = ContinuousClock.now - start
            release.yield()
            #expect(waited < .seconds(2), "the second claim waited \(waited) for the first claim's transaction")
            #expect(other.map(\.id) == Array(ids.dropFirst(4)))

            #expect(try await holder == held)
            try await second.close()
            let owners = try await first.tasks().map(\.controllerID)
            #expect(owners == Array(repeating: "holder", count: 4) + Array(repeating: "other", count: 6))
        }
    }

    @Test("a submit that loses the race on the key's unique index (SQLSTATE 23505) is a duplicate error")
    func duplicateRace() async throws {
        try await withStore(.postgres) { store, url in
            let other = try await TaskStore.open(url, logger: quietLogger)
            let (inserted, insertDone) = AsyncStream.makeStream(of: Int64.self)
            // A transaction inserts key(1) and commits only after the submit below has started waiting on the key.
            async let holder: Void = store.backend.transaction { db in
                let rows = try await db.execute(
                    """
                    INSERT INTO tasks (dag_id, task_id, run_id, map_index, try_number, command, env, state, queued_at,
                                       updated_at)
                    VALUES (?, ?, ?, ?, ?, '[]', '{}', 'queued', 0, 0) RETURNING id
                    """,
                    TaskStore.keyBinds(key(1))
                )
                insertDone.yield(try #require(rows.first).int64("id"))
                #expect(try await holdUntilBlocked(db, .postgres), "the submit did not wait on the key")
            }
            var iterator = inserted.makeAsyncIterator()
            let id = try #require(await iterator.next())
            let error = try await #require(throws: TaskStoreError.self) {
                try await other.submit(key: key(1), spec: simpleSpec)
            }
            try await holder
            #expect(error.code == .duplicate)
            #expect(error.message.contains("id \(id)"), "\(error.message)")
            #expect(try await store.tasks().count == 1)
            try await other.close()
        }
    }

    @Test("migrations wait for the advisory lock that another migrating controller holds")
    func migrationsTakeTheAdvisoryLock() async throws {
        try await withStore(.postgres) { store, url in
            let other = try await TaskStore.open(url, logger: quietLogger)
            let (locked, lockTaken) = AsyncStream.makeStream(of: Void.self)
            // Holds the lock until the migration is seen waiting for it.
            async let holder: Bool = store.backend.transaction { db in
                try await db.execute(try #require(SQLDialect.postgres.migrationLockStatement))
                lockTaken.yield()
                return try await holdUntilBlocked(db, .postgres)
            }
            var iterator = locked.makeAsyncIterator()
            _ = await iterator.next()
            let extra = Migrations.all + [
                Migration(version: Migrations.latestVersion + 1, description: "test column") { _ in
                    ["ALTER TABLE tasks ADD COLUMN extra TEXT"]
                },
            ]
            try await Migrations.migrate(other.backend, location: url, logger: quietLogger, migrations: extra)
            #expect(try await holder, "the migration waited for the lock")
            try await other.close()
        }
    }

    @Test("the schema uses PostgreSQL's types: BIGINT identity keys, DOUBLE PRECISION times, BYTEA logs")
    func columnTypes() async throws {
        try await withStore(.postgres) { store, _ in
            let rows = try await store.backend.execute(
                """
                SELECT table_name, column_name, data_type, is_identity FROM information_schema.columns
                WHERE table_schema = current_schema()
                    AND table_name IN ('tasks', 'task_logs', 'task_events', 'controllers')
                """,
                []
            )
            var types: [String: String] = [:]
            var identities: Set<String> = []
            for row in rows {
                let name = try row.string("table_name") + "." + row.string("column_name")
                types[name] = try row.string("data_type")
                if row.optionalString("is_identity") == "YES" { identities.insert(name) }
            }
            #expect(types["tasks.id"] == "bigint")
            #expect(types["tasks.map_index"] == "bigint")
            #expect(types["tasks.queued_at"] == "double precision")
            #expect(types["tasks.finished_at"] == "double precision")
            #expect(types["task_logs.chunk"] == "bytea")
            #expect(types["task_events.at"] == "double precision")
            #expect(types["tasks.pod_template"] == "text")
            #expect(types["controllers.id"] == "text")
            #expect(types["controllers.started_at"] == "double precision")
            #expect(types["controllers.heartbeat_at"] == "double precision")
            #expect(types["controllers.stopped_at"] == "double precision")
            #expect(identities == ["tasks.id", "task_events.id"])

            // Times keep their fraction of a second.
            let task = try await store.submit(key: key(1), spec: simpleSpec)
            #expect(task.queuedAt != task.queuedAt.rounded())
        }
    }

    @Test("closing a store closes every connection it opened")
    func closeReleasesConnections() async throws {
        let serverURL = try postgresServerURL()
        try await withPostgresDatabase { url in
            let admin = try await adminBackend(serverURL)
            let database = String(url.split(separator: "?")[0].split(separator: "/").last ?? "")
            func connections() async throws -> Int64 {
                try await admin.execute(
                    "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = ?", .text(database)
                ).first?.int64("n") ?? -1
            }
            let store = try await TaskStore.open(url, logger: quietLogger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<8 {
                    group.addTask { _ = try await store.submit(key: key(n), spec: simpleSpec) }
                }
                try await group.waitForAll()
            }
            #expect(try await connections() > 0)
            try await store.close()
            // The server notices a closed connection a moment after the client.
            var open = try await connections()
            for _ in 0..<50 where open > 0 {
                try await Task.sleep(for: .milliseconds(100))
                open = try await connections()
            }
            #expect(open == 0)
            try await admin.close()
        }
    }

    @Test("a wrong password, a missing database, a closed port and an untrusted certificate fail at open, clearly")
    func openFailures() async throws {
        try await withClosedPort { closedPort in try await openFailures(closedPort: closedPort) }
    }

    private func openFailures(closedPort: Int) async throws {
        let serverURL = try postgresServerURL()
        guard case .postgres(let server) = try StoreLocation(parsing: serverURL),
              case .tcp(let host, let port) = server.endpoint
        else {
            Issue.record("\(postgresURLVariable) must name a TCP server")
            return
        }
        let secret = "Wr0ng-Pa55-\(UUID().uuidString.prefix(8))"
        let user = server.user
        let cases: [(url: String, expected: [String])] = [
            ("postgres://\(user):\(secret)@\(host):\(port)/\(server.database)?sslmode=disable",
             ["password authentication failed", "check the user and password", "\(host):\(port)"]),
            ("postgres://\(user):\(server.password ?? "")@\(host):\(port)/no_such_database_here?sslmode=disable",
             ["no_such_database_here", "createdb"]),
            ("postgres://\(user):\(secret)@127.0.0.1:\(closedPort)/db?sslmode=disable&connect_timeout=5",
             ["cannot connect", "127.0.0.1:\(closedPort)", "check that the server runs"]),
            // TLS with full verification unless the URL says otherwise: the test server's CA is not trusted.
            ("postgres://\(user):\(secret)@localhost:\(port)/\(server.database)",
             ["TLS handshake failed", "sslrootcert=", "sslmode=require"]),
        ]
        for (url, expected) in cases {
            let recorder = LogRecorder()
            let start = ContinuousClock.now
            let error = try await #require(throws: TaskStoreError.self) {
                try await TaskStore.open(url, logger: recorder.logger)
            }
            #expect(ContinuousClock.now - start < .seconds(8), "\(url) took \(ContinuousClock.now - start) to fail")
            #expect(error.code == .database)
            for text in expected {
                #expect(error.message.contains(text), "\(error.message)")
            }
            #expect(!error.message.contains(secret) && !error.description.contains(secret), "\(error.message)")
            #expect(!"\(error)".contains(secret))
            #expect(recorder.recorded.allSatisfy { !$0.contains(secret) }, "\(recorder.recorded)")
        }
    }

    @Test("TLS: verify-full checks the chain and the host name, verify-ca only the chain, require neither")
    func tlsModes() async throws {
        try await withPostgresDatabase { url in
            guard case .postgres(let server) = try StoreLocation(parsing: url),
                  case .tcp(_, let port) = server.endpoint
            else {
                Issue.record("\(postgresURLVariable) must name a TCP server")
                return
            }
            let roots = try #require(
                server.sslRootCertificate,
                """
                \(postgresURLVariable) names no sslrootcert: start the server with scripts/postgres-test-server.sh, \
                which gives it a certificate for localhost and names its CA in the URL
                """
            )
            let prefix = "postgres://\(server.user):\(server.password ?? "")@"
            let database = server.database
            let working = [
                "localhost:\(port)/\(database)?sslrootcert=\(roots)",
                "localhost:\(port)/\(database)?sslmode=verify-full&sslrootcert=\(roots)",
                "127.0.0.1:\(port)/\(database)?sslmode=verify-ca&sslrootcert=\(roots)",
                "127.0.0.1:\(port)/\(database)?sslmode=require",
            ]
            for rest in working {
                let store = try await TaskStore.open(prefix + rest, logger: quietLogger)
                let ssl = try await store.backend.execute(
                    "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", []
                ).first?.optionalInt64("ssl")
                #expect(ssl == 1, "\(rest) runs over TLS")
                try await store.close()
            }
            let refused: [(String, String)] = [
                // The certificate names localhost, not 127.0.0.1.
                ("127.0.0.1:\(port)/\(database)?sslrootcert=\(roots)", "sslmode=require"),
                // The system's roots do not include the test CA.
                ("localhost:\(port)/\(database)", "sslrootcert="),
                ("localhost:\(port)/\(database)?sslmode=verify-ca", "sslrootcert="),
            ]
            for (rest, hint) in refused {
                let error = try await #require(throws: TaskStoreError.self, "\(rest)") {
                    try await TaskStore.open(prefix + rest, logger: quietLogger)
                }
                #expect(error.code == .database)
                #expect(error.message.contains("TLS handshake failed"), "\(rest): \(error.message)")
                #expect(error.message.contains(hint), "\(rest): \(error.message)")
            }
        }
    }

    @Test("a password never shows in any log line or message of a working store, even at trace level")
    func passwordNeverLogged() async throws {
        try await withPostgresDatabase { url in
            let suffix = UUID().uuidString.lowercased().prefix(8)
            let role = "taskpod_secret_\(suffix)"
            let secret = "S3cret-\(suffix)-pa55"
            let database = String(url.split(separator: "?")[0].split(separator: "/").last ?? "")
            let admin = try await adminBackend(url)
            try await admin.execute("CREATE ROLE \(role) LOGIN PASSWORD '\(secret)'", [])
            try await admin.execute("GRANT ALL ON SCHEMA public TO \(role)", [])
            try await admin.close()

            guard case .postgres(let base) = try StoreLocation(parsing: url),
                  case .tcp(let host, let port) = base.endpoint
            else {
                Issue.record("\(postgresURLVariable) must name a TCP server")
                return
            }
            let roleURL = "postgres://\(role):\(secret)@\(host):\(port)/\(database)?sslmode=require"
            let recorder = LogRecorder()
            let store = try await TaskStore.open(roleURL, logger: recorder.logger)
            let task = try await store.submit(key: key(1), spec: simpleSpec)
            _ = try await store.claimQueued(limit: 5, controllerID: "ctl")
            try await store.appendLog(id: task.id, "hello\n")
            let duplicate = try await #require(throws: TaskStoreError.self) {
                try await store.submit(key: key(1), spec: simpleSpec)
            }
            #expect(duplicate.code == .duplicate)
            let failure = try await #require(throws: (any Error).self) {
                try await store.backend.execute("SELECT * FROM no_such_table", [])
            }
            try await store.close()
            let closed = try await #require(throws: TaskStoreError.self) { try await store.tasks() }

            #expect(!recorder.recorded.isEmpty, "the store logged at trace level")
            for line in recorder.recorded {
                #expect(!line.contains(secret), "\(line)")
            }
            let messages = [duplicate, failure, closed].flatMap { ["\($0)", String(reflecting: $0)] }
            for message in messages + [closed.message] {
                #expect(!message.contains(secret), "\(message)")
            }
            #expect(closed.message.contains("\(role):***@"))

            // The role owns the tables: drop them with the database, then the role.
            let serverAdmin = try await adminBackend(try postgresServerURL())
            try await serverAdmin.execute("DROP DATABASE IF EXISTS \(database) WITH (FORCE)", [])
            try await serverAdmin.execute("DROP ROLE IF EXISTS \(role)", [])
            try await serverAdmin.close()
        }
    }

    /// Runs `body` with a loopback port where nothing listens: bound, so that no one else takes it, but not
    /// listening, so that connecting to it is refused at once.
    private func withClosedPort(_ body: (Int) async throws -> Void) async throws {
        #if os(Linux)
        let stream = Int32(SOCK_STREAM.rawValue)
        #else
        let stream = SOCK_STREAM
        #endif
        let fd = socket(AF_INET, stream, 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(fd, address, length) == 0 && getsockname(fd, address, &length) == 0
            }
        }
        try #require(bound)
        try await body(Int(UInt16(bigEndian: address.sin_port)))
    }
}
