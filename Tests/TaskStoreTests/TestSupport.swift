import Foundation
import JSON
import Logging
import Synchronization
import TestSupport
import Testing
@testable import TaskStore

/// A logger that drops everything: the store's logs are not under test here.
let quietLogger = Logger(label: "taskpod.store.tests", factory: { _ in SwiftLogNoOpLogHandler() })

// MARK: Backends

/// The databases the contract tests run against: every `@Test(arguments: StoreKind.allCases)` runs once on each.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String {
        switch self {
        case .sqlite: "SQLite"
        case .postgres: "PostgreSQL"
        }
    }
}

/// The variable that names the PostgreSQL server the tests make their databases on. Its role must be allowed to
/// create databases.
let postgresURLVariable = "TASKPOD_TEST_POSTGRES_URL"

/// Why the PostgreSQL half of the suite cannot run. Thrown, so that each PostgreSQL test fails: a test that passes
/// without a server would hide that half of the suite.
struct MissingPostgresServer: Error, CustomStringConvertible {
    var description: String {
        "\(postgresURLVariable) is not set, so this PostgreSQL test cannot run. Start a throwaway server with "
            + "`eval \"$(scripts/postgres-test-server.sh start)\"` (it prints the export line for "
            + "\(postgresURLVariable)), run the tests again, and remove the server with "
            + "`scripts/postgres-test-server.sh stop`."
    }
}

/// The URL of the test server, from ``postgresURLVariable``.
func postgresServerURL() throws -> String {
    guard let url = ProcessInfo.processInfo.environment[postgresURLVariable], !url.isEmpty else {
        throw MissingPostgresServer()
    }
    return url
}

/// Runs `body` with the URL of a fresh, empty database of `kind`, removed afterwards: a file in a new temporary
/// directory, or a new database `taskpod_test_<random>` on the test server (dropped even when connections to it
/// are left open).
func withDatabase<T>(_ kind: StoreKind, _ body: (_ url: String) async throws -> T) async throws -> T {
    switch kind {
    case .sqlite:
        try await withTemporaryDirectory { directory in try await body(directory + "/taskpod.db") }
    case .postgres:
        try await withPostgresDatabase(body)
    }
}

/// Runs `body` with a store on a fresh database of `kind` and that database's URL; closes the store afterwards.
func withStore<T>(_ kind: StoreKind, _ body: (TaskStore, _ url: String) async throws -> T) async throws -> T {
    try await withDatabase(kind) { url in
        let store = try await TaskStore.open(url, logger: quietLogger)
        do {
            let result = try await body(store, url)
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }
}

/// A bare backend on the database at `url`, with no migration applied: for building stores as older versions left
/// them.
func openBackend(_ url: String) async throws -> any SQLBackend {
    let location = try StoreLocation(parsing: url)
    switch location {
    case .postgres(let postgresURL):
        return try await PostgresBackend.open(postgresURL, logger: quietLogger)
    case .sqliteFile, .sqliteMemory:
        return try await SQLiteBackend.open(location, logger: quietLogger)
    }
}

/// Runs `body` with the URL of a new database on the test server, dropped afterwards.
func withPostgresDatabase<T>(_ body: (_ url: String) async throws -> T) async throws -> T {
    let serverURL = try postgresServerURL()
    let name = "taskpod_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
    let admin = try await adminBackend(serverURL)
    do {
        try await admin.execute("CREATE DATABASE \(name)", [])
    } catch {
        try? await admin.close()
        throw error
    }
    let result: Result<T, any Error>
    do {
        result = .success(try await body(postgresURL(serverURL, database: String(name))))
    } catch {
        result = .failure(error)
    }
    do {
        try await admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", [])
    } catch {
        Issue.record("Could not drop the test database \(name): \(error)")
    }
    try await admin.close()
    return try result.get()
}

/// A backend on the test server's own database, for creating and dropping test databases.
func adminBackend(_ serverURL: String) async throws -> PostgresBackend {
    guard case .postgres(let url) = try StoreLocation(parsing: serverURL) else {
        throw TaskStoreError(.invalidURL, "\(postgresURLVariable) must be a postgres:// URL")
    }
    return try await PostgresBackend.open(url, logger: quietLogger)
}

/// `serverURL` with its database replaced by `database`.
func postgresURL(_ serverURL: String, database: String) -> String {
    TestPostgres.replacingDatabase(in: serverURL, with: database)
}

/// Runs `body` with a fresh, empty temporary directory, removed afterwards.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("taskstore-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

// MARK: Tasks

func key(_ n: Int, dag: String = "dag", run: String = "run-1", tryNumber: Int = 1) -> TaskKey {
    TaskKey(dagID: dag, taskID: "task-\(n)", runID: run, mapIndex: -1, tryNumber: tryNumber)
}

let simpleSpec = TaskSpec(command: ["echo", "hello"])

/// Submits `count` tasks with keys `key(0)`, `key(1)`, ...; returns them in order.
@discardableResult
func submitMany(_ store: TaskStore, count: Int) async throws -> [TaskInstance] {
    var tasks: [TaskInstance] = []
    for n in 0..<count {
        tasks.append(try await store.submit(key: key(n), spec: simpleSpec))
    }
    return tasks
}

// MARK: Waiting

/// Waits until the store's clock reads later than `time`, so that a timestamp taken next is strictly later.
func waitForClock(past time: Double) async throws {
    while WallClock.now() <= time { try await Task.sleep(for: .milliseconds(1)) }
}

// MARK: Lock holders

/// Keeps the caller's open transaction (on `db`) going until another session is blocked behind one of its locks:
/// the positive signal that the statement under test waits. PostgreSQL shows it, as a session of this database
/// whose `wait_event_type` is `Lock`; returns false when none shows within `timeout`.
///
/// SQLite shows no waiter (a blocked connection sleeps in its busy handler), so there it holds the lock for
/// `sqliteHold`, a bounded wait begun once the holder has the lock; the tests then check what the waiter got.
func holdUntilBlocked(
    _ db: any SQLExecutor, _ kind: StoreKind, timeout: Duration = .seconds(30), sqliteHold: Duration = .milliseconds(600)
) async throws -> Bool {
    switch kind {
    case .sqlite:
        try await Task.sleep(for: sqliteHold)
        return true
    case .postgres:
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            // A transaction keeps one snapshot of the statistics unless it asks for a fresh one.
            _ = try await db.execute("SELECT pg_stat_clear_snapshot()", [])
            let rows = try await db.execute(
                """
                SELECT COUNT(*) AS n FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()
                """, [])
            if try (rows.first?.int64("n") ?? 0) > 0 { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }
}

/// Waits for the first element of `signal`, at most `timeout`: false when the timeout passed first (a bound that
/// turns a lock that is wrongly waited for into a failed expectation instead of a hung test).
func awaitSignal(_ signal: AsyncStream<Void>, timeout: Duration = .seconds(30)) async -> Bool {
    await withTaskGroup(of: Bool.self) { group in
        group.addTask { await signal.first { _ in true } != nil }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return false
        }
        let first = await group.next() ?? false
        group.cancelAll()
        return first
    }
}
