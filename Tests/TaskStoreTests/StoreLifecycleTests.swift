import JSON
import Testing
@testable import TaskStore

@Suite("Store lifecycle on every backend: migrations, reopening, closing, error classes")
struct StoreLifecycleTests {
    @Test("reopening an up-to-date store changes nothing and keeps the data", arguments: StoreKind.allCases)
    func migrationsIdempotent(_ kind: StoreKind) async throws {
        try await withDatabase(kind) { url in
            let store = try await TaskStore.open(url, logger: quietLogger)
            let task = try await store.submit(key: key(1), spec: simpleSpec)
            try await store.close()

            for _ in 0..<3 {
                let reopened = try await TaskStore.open(url, logger: quietLogger)
                let versions = try await reopened.backend.execute(
                    "SELECT version FROM schema_migrations ORDER BY version", []
                ).map { $0.optionalInt64("version") }
                #expect(versions == Migrations.all.map { Int64($0.version) })
                #expect(try await reopened.task(id: task.id) == task)
                try await reopened.close()
            }
        }
    }

    @Test("pending migrations are applied in order, in one transaction", arguments: StoreKind.allCases)
    func pendingMigrations(_ kind: StoreKind) async throws {
        try await withDatabase(kind) { url in
            let store = try await TaskStore.open(url, logger: quietLogger)
            let backend = store.backend
            let latest = Migrations.latestVersion
            let extra = Migrations.all + [
                Migration(version: latest + 1, description: "test column") { _ in
                    ["ALTER TABLE tasks ADD COLUMN test_extra TEXT"]
                },
                Migration(version: latest + 2, description: "test index") { _ in
                    ["CREATE INDEX tasks_test_extra_idx ON tasks (test_extra)"]
                },
            ]
            try await Migrations.migrate(backend, location: url, logger: quietLogger, migrations: extra)
            #expect(try await backend.execute("SELECT MAX(version) AS v FROM schema_migrations", [])
                .first?.optionalInt64("v") == Int64(latest + 2))
            _ = try await backend.execute("SELECT test_extra FROM tasks", [])

            // A failing migration leaves nothing behind.
            let failing = extra + [
                Migration(version: latest + 3, description: "half") { _ in
                    ["CREATE TABLE half_done (x INTEGER)", "THIS IS NOT SQL"]
                },
            ]
            await #expect(throws: (any Error).self) {
                try await Migrations.migrate(backend, location: url, logger: quietLogger, migrations: failing)
            }
            #expect(try await backend.execute("SELECT MAX(version) AS v FROM schema_migrations", [])
                .first?.optionalInt64("v") == Int64(latest + 2))
            await #expect(throws: (any Error).self) {
                try await backend.execute("SELECT x FROM half_done", [])
            }
            try await store.close()
        }
    }

    @Test("a store at schema version 1 upgrades in place: its tasks stay, the new columns, table and indexes arrive",
          arguments: StoreKind.allCases)
    func upgradeFromVersion1(_ kind: StoreKind) async throws {
        try await withDatabase(kind) { url in
            // The store as a taskpod that knew only version 1 left it: a launched task with its events and log.
            let version1 = try #require(Migrations.all.first { $0.version == 1 })
            let backend = try await openBackend(url)
            try await Migrations.migrate(backend, location: url, logger: quietLogger, migrations: [version1])
            let override: JSONValue = ["metadata": ["labels": ["team": "données"]]]
            let id = try #require(try await backend.execute(
                """
                INSERT INTO tasks (dag_id, task_id, run_id, map_index, try_number, command, image, namespace,
                                   pod_override, env, state, pod_name, pod_namespace, controller_id, cancel_requested,
                                   queued_at, launched_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?) RETURNING id
                """,
                TaskStore.keyBinds(key(1)) + [
                    .text(#"["echo","hi"]"#), .text("busybox"), .null, .text(override.jsonString), .text(#"{"A":"1"}"#),
                    .text("launched"), .text("pod-1"), .text("jobs"), .text("old-controller"), .real(100), .real(101),
                    .real(101),
                ]
            ).first).int64("id")
            try await backend.execute(
                "INSERT INTO task_events (instance_id, at, from_state, to_state) VALUES (?, 100, NULL, 'queued')",
                .integer(id)
            )
            try await backend.execute(
                "INSERT INTO task_logs (instance_id, seq, chunk) VALUES (?, 1, ?)",
                .integer(id), .blob(Array("hi\n".utf8))
            )
            await #expect(throws: (any Error).self) { try await backend.execute("SELECT pod_template FROM tasks", []) }
            try await backend.close()

            let store = try await TaskStore.open(url, logger: quietLogger)
            let versions = try await store.backend.execute(
                "SELECT version FROM schema_migrations ORDER BY version", []
            ).map { $0.optionalInt64("version") }
            #expect(versions == Migrations.all.map { Int64($0.version) })

            let task = try #require(try await store.task(id: id))
            #expect(task.externalID == nil && task.changeSeq == 0 && task.spec.args == nil && !task.spec.sensitive)
            #expect(task.key == key(1))
            #expect(task.spec == TaskSpec(command: ["echo", "hi"], image: "busybox", podOverride: override,
                                          env: ["A": "1"]))
            #expect(task.spec.podTemplate == nil)
            #expect(task.state == .launched && task.podName == "pod-1" && task.podNamespace == "jobs")
            #expect(task.controllerID == "old-controller" && task.queuedAt == 100 && task.launchedAt == 101)
            #expect(try await store.events(id: id).map(\.to) == [.queued])
            #expect(try await store.log(id: id) == "hi\n")

            // The new APIs work on the upgraded store.
            #expect(try await store.tasks(controllerID: "old-controller", in: [.launched]).map(\.id) == [id])
            try await store.registerController(id: "new-controller", host: nil)
            #expect(try await store.reassign(from: "old-controller", to: "new-controller").map(\.id) == [id])
            let template: JSONValue = ["spec": ["containers": [["name": "base", "image": "python:3.12"]]]]
            let templated = try await store.submit(key: key(2), spec: TaskSpec(command: ["x"], podTemplate: template))
            #expect(try await store.task(id: templated.id)?.spec.podTemplate == template)

            let indexSQL = switch kind {
            case .sqlite: "SELECT name AS index_name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tasks'"
            case .postgres: "SELECT indexname AS index_name FROM pg_indexes WHERE tablename = 'tasks'"
            }
            let indexes = Set(try await store.backend.execute(indexSQL, []).compactMap {
                $0.optionalString("index_name")
            })
            let expected: Set = ["tasks_state_idx", "tasks_state_controller_idx", "tasks_state_queued_at_idx"]
            #expect(indexes.isSuperset(of: expected), "\(indexes)")
            try await store.close()
        }
    }

    @Test("a store with a newer schema than this build knows is refused clearly", arguments: StoreKind.allCases)
    func newerSchema(_ kind: StoreKind) async throws {
        try await withDatabase(kind) { url in
            let store = try await TaskStore.open(url, logger: quietLogger)
            _ = try await store.backend.execute(
                "INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)",
                [.integer(99), .text("from the future"), .real(0)]
            )
            try await store.close()

            let error = try await #require(throws: TaskStoreError.self) {
                try await TaskStore.open(url, logger: quietLogger)
            }
            #expect(error.code == .schema)
            #expect(error.message.contains("99"))
            #expect(error.message.contains(try StoreLocation(parsing: url).displayName))
            #expect(error.message.contains("Upgrade taskpod"))
        }
    }

    @Test("several stores opening the same new database at once all open it, migrated once",
          arguments: StoreKind.allCases)
    func concurrentFirstOpen(_ kind: StoreKind) async throws {
        try await withDatabase(kind) { url in
            let stores = try await withThrowingTaskGroup(of: TaskStore.self) { group in
                for _ in 0..<6 {
                    group.addTask { try await TaskStore.open(url, logger: quietLogger) }
                }
                return try await group.reduce(into: [TaskStore]()) { $0.append($1) }
            }
            for (n, store) in stores.enumerated() {
                _ = try await store.submit(key: key(n), spec: simpleSpec)
            }
            let versions = try await stores[0].backend.execute("SELECT version FROM schema_migrations", [])
            #expect(versions.count == Migrations.all.count)
            #expect(try await stores[5].tasks().count == 6)
            for store in stores { try await store.close() }
        }
    }

    @Test("a closed store refuses work with a clear error; closing twice is fine", arguments: StoreKind.allCases)
    func closed(_ kind: StoreKind) async throws {
        try await withDatabase(kind) { url in
            let store = try await TaskStore.open(url, logger: quietLogger)
            try await store.close()
            try await store.close()
            for operation in 0..<3 {
                let error = try await #require(throws: TaskStoreError.self) {
                    switch operation {
                    case 0: _ = try await store.tasks()
                    case 1: _ = try await store.submit(key: key(1), spec: simpleSpec)
                    default: _ = try await store.claimQueued(limit: 1, controllerID: "c")
                    }
                }
                #expect(error.code == .database)
                #expect(error.message.contains("closed"))
                #expect(error.message.contains(try StoreLocation(parsing: url).displayName))
            }
        }
    }

    @Test("a store that is not closed is cleaned up when released", arguments: StoreKind.allCases)
    func releasedWithoutClose(_ kind: StoreKind) async throws {
        try await withDatabase(kind) { url in
            var store: TaskStore? = try await TaskStore.open(url, logger: quietLogger)
            _ = try await store?.submit(key: key(1), spec: simpleSpec)
            store = nil
            let reopened = try await TaskStore.open(url, logger: quietLogger)
            #expect(try await reopened.tasks().count == 1)
            try await reopened.close()
        }
    }

    @Test("unique and foreign-key violations and missing tables are classified alike", arguments: StoreKind.allCases)
    func errorClasses(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let task = try await store.submit(key: key(1), spec: simpleSpec)
            func kind(of sql: String, _ binds: [SQLValue]) async -> SQLError.Kind? {
                do {
                    try await store.backend.execute(sql, binds)
                    return nil
                } catch {
                    return (error as? SQLError)?.kind
                }
            }
            #expect(await kind(of: "INSERT INTO task_logs (instance_id, seq, chunk) VALUES (?, 1, ?)",
                               [.integer(task.id + 100), .blob([1])]) == .foreignKeyViolation)
            try await store.appendLog(id: task.id, "x")
            #expect(await kind(of: "INSERT INTO task_logs (instance_id, seq, chunk) VALUES (?, 1, ?)",
                               [.integer(task.id), .blob([1])]) == .uniqueViolation)
            #expect(await kind(of: "SELECT * FROM no_such_table", []) == .undefinedTable)
            #expect(await kind(of: "SELEC 1", []) == .other)
            // The statement after a failed one works: no transaction was left open.
            #expect(try await store.log(id: task.id) == "x")
        }
    }

    @Test("many appends to one log at once keep every chunk in order of arrival", arguments: StoreKind.allCases)
    func concurrentAppends(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, url in
            let other = try await TaskStore.open(url, logger: quietLogger)
            let task = try await store.submit(key: key(1), spec: simpleSpec)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<40 {
                    let target = n.isMultiple(of: 2) ? store : other
                    group.addTask { try await target.appendLog(id: task.id, "<\(n)>") }
                }
                try await group.waitForAll()
            }
            try await other.close()
            let log = try await store.log(id: task.id)
            let chunks = log.split(separator: ">").map { $0.dropFirst() }
            #expect(Set(chunks.compactMap { Int($0) }) == Set(0..<40))
        }
    }
}
