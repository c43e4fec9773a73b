import Foundation
import Logging
import SQLiteNIO

/// The SQLite backend: one connection, on a thread of its own, used by one operation at a time.
///
/// Several processes may share the file (the controller and `taskpod submit`): the database runs in WAL mode,
/// waits up to ``busyTimeoutMilliseconds`` for locks, and takes the write lock at the start of every write
/// transaction (`BEGIN IMMEDIATE`) so that a transaction that reads and then writes never fails half-way.
actor SQLiteBackend: SQLBackend {
    static let busyTimeoutMilliseconds = 10_000
    /// How often a statement or transaction that found the database busy is tried in all.
    static let busyAttempts = 4

    nonisolated let dialect = SQLDialect.sqlite
    nonisolated let displayName: String
    private let connection: SQLiteConnection
    private let threadPool: NIOThreadPool
    private let logger: Logger

    private var isClosed = false
    private var isLocked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    private init(connection: SQLiteConnection, threadPool: NIOThreadPool, displayName: String, logger: Logger) {
        self.connection = connection
        self.threadPool = threadPool
        self.displayName = displayName
        self.logger = logger
    }

    /// Opens (creating if needed) the database at `location` and sets it up for shared use.
    static func open(_ location: StoreLocation, logger: Logger) async throws -> SQLiteBackend {
        let storage: SQLiteConnection.Storage
        switch location {
        case .sqliteFile(let path):
            try checkDirectory(of: path)
            storage = .file(path: path)
        case .sqliteMemory:
            storage = .memory
        case .postgres:
            throw SQLError(kind: .other, message: "'\(location.displayName)' is not a SQLite location")
        }
        let displayName = location.displayName

        // A thread of its own: a connection waiting for a lock never holds up another store's statements.
        let threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(
                storage: storage, threadPool: threadPool, logger: logger,
                on: MultiThreadedEventLoopGroup.singleton.any()
            )
        } catch {
            try? await threadPool.shutdownGracefully()
            throw SQLError(
                kind: .other,
                message: "cannot open the SQLite database '\(displayName)' (\(Self.sqliteMessage(error))); "
                    + "check that its directory exists and is writable",
                underlying: error
            )
        }
        let backend = SQLiteBackend(
            connection: connection, threadPool: threadPool, displayName: displayName, logger: logger
        )
        do {
            try await backend.configure(inMemory: location == .sqliteMemory)
        } catch {
            try? await backend.close()
            guard var error = error as? SQLError, !error.message.contains(displayName) else { throw error }
            error.message = "the SQLite database '\(displayName)' cannot be used (\(error.message)); "
                + "check that the path names a taskpod store"
            throw error
        }
        return backend
    }

    private static func checkDirectory(of path: String) throws {
        let directory: String
        if let slash = path.lastIndex(of: "/") {
            directory = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            directory = "."
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw SQLError(
                kind: .other,
                message: "the directory '\(directory)' of the SQLite database '\(path)' does not exist; create it "
                    + "(mkdir -p '\(directory)') or choose another path"
            )
        }
        guard isDirectory.boolValue else {
            throw SQLError(
                kind: .other,
                message: "'\(directory)' in the SQLite database path '\(path)' is not a directory; choose another path"
            )
        }
    }

    /// Sets the pragmas every connection needs. `busy_timeout` comes first: it replaces SQLiteNIO's busy handler,
    /// which would otherwise wait forever.
    private func configure(inMemory: Bool) async throws {
        try await withLock {
            try await run("PRAGMA busy_timeout = \(Self.busyTimeoutMilliseconds)", [])
            try await run("PRAGMA foreign_keys = ON", [])
            let modeRows = try await run("PRAGMA journal_mode = WAL", [])
            let mode = modeRows.first?.values.values.first.flatMap { value -> String? in
                if case .text(let text) = value { text.lowercased() } else { nil }
            }
            if !inMemory && mode != "wal" {
                throw SQLError(
                    kind: .other,
                    message: "the SQLite database '\(displayName)' could not be switched to WAL mode (it reports "
                        + "'\(mode ?? "nothing")'); put it on a local file system that supports shared memory"
                )
            }
            try await run("PRAGMA synchronous = NORMAL", [])
        }
        logger.debug("Opened the SQLite task store", metadata: ["store.path": .string(displayName)])
    }

    // MARK: SQLExecutor, SQLBackend

    @discardableResult
    func execute(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        try await withLock {
            try await retryingWhenBusy { try await run(sql, binds) }
        }
    }

    func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await withLock {
            try await retryingWhenBusy {
                try await run("BEGIN IMMEDIATE", [])
                do {
                    let result = try await body(Session(backend: self))
                    try await run("COMMIT", [])
                    return result
                } catch {
                    do {
                        try await run("ROLLBACK", [])
                    } catch {
                        logger.warning(
                            "Rolling back a task store transaction failed",
                            metadata: ["store.path": .string(displayName), "error.message": .string("\(error)")]
                        )
                    }
                    throw error
                }
            }
        }
    }

    /// SQLite's `PRAGMA data_version` on this connection: it moves when another connection commits a change.
    func dataVersion() async throws -> Int64 {
        let rows = try await execute("PRAGMA data_version", [])
        guard let version = rows.first?.values.values.first, case .integer(let value) = version else {
            throw SQLError(kind: .other, message: "PRAGMA data_version answered no number")
        }
        return value
    }

    func close() async throws {
        guard !isClosed else { return }
        await acquire()
        defer { release() }
        guard !isClosed else { return }
        isClosed = true
        defer { threadPool.shutdownGracefully { _ in } }
        try await connection.close()
    }

    deinit {
        // A safety net for a store that was not closed: close the connection and stop its thread rather than
        // trip the assertions of SQLiteNIO and NIO in debug builds.
        if !isClosed {
            let threadPool = self.threadPool
            connection.close().whenComplete { _ in threadPool.shutdownGracefully { _ in } }
        }
    }

    // MARK: Serialisation

    /// The executor a transaction body gets: it runs statements without taking the lock, which the transaction
    /// holds.
    private struct Session: SQLExecutor {
        let backend: SQLiteBackend
        var dialect: SQLDialect { backend.dialect }

        @discardableResult
        func execute(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
            try await backend.run(sql, binds)
        }
    }

    private func withLock<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        guard !isClosed else { throw closedError() }
        await acquire()
        defer { release() }
        guard !isClosed else { throw closedError() }
        return try await body()
    }

    private func acquire() async {
        guard isLocked else {
            isLocked = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
        // The lock was handed over by `release()`: `isLocked` stayed true.
    }

    private func release() {
        if waiters.isEmpty {
            isLocked = false
        } else {
            waiters.removeFirst().resume()
        }
    }

    private func closedError() -> SQLError {
        SQLError(kind: .closed, message: "the task store '\(displayName)' is closed; open it again")
    }

    private func retryingWhenBusy<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch let error as SQLError where error.kind == .busy && attempt < Self.busyAttempts {
                logger.debug(
                    "The SQLite task store is busy; retrying",
                    metadata: ["store.path": .string(displayName), "retry.attempt": .stringConvertible(attempt)]
                )
                try? await Task.sleep(for: .milliseconds(50 * attempt))
                attempt += 1
            }
        }
    }

    /// Runs one statement on the connection. Callers hold the lock.
    @discardableResult
    private func run(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        let rows: [SQLiteRow]
        do {
            rows = try await connection.query(sql, binds.map(Self.sqliteData))
        } catch {
            throw Self.classify(error)
        }
        return rows.map { row in
            var values: [String: SQLValue] = [:]
            for column in row.columns { values[column.name] = Self.value(column.data) }
            return SQLRow(values)
        }
    }

    // MARK: Conversions

    private static func sqliteData(_ value: SQLValue) -> SQLiteData {
        switch value {
        case .null: .null
        case .integer(let value): .integer(SQLiteInt64(value))
        case .real(let value): .float(value)
        case .text(let value): .text(value)
        case .blob(let bytes): .blob(ByteBuffer(bytes: bytes))
        }
    }

    private static func value(_ data: SQLiteData) -> SQLValue {
        switch data {
        case .null: .null
        case .integer(let value): .integer(Int64(value))
        case .float(let value): .real(value)
        case .text(let value): .text(value)
        case .blob(let buffer): .blob(Array(buffer.readableBytesView))
        }
    }

    private static func classify(_ error: any Error) -> SQLError {
        guard let sqliteError = error as? SQLiteError else {
            return SQLError(kind: .other, message: "\(error)", underlying: error)
        }
        let kind: SQLError.Kind
        switch sqliteError.reason {
        case .busy, .busyTimeout, .busyInRecovery, .busyInSnapshot, .locked, .lockedBySharedCache:
            kind = .busy
        case .constraintUniqueFailed, .constraintPrimaryKeyFailed:
            kind = .uniqueViolation
        case .constraintForeignKeyFailed:
            kind = .foreignKeyViolation
        default:
            kind = sqliteError.message.hasPrefix("no such table") ? .undefinedTable : .other
        }
        return SQLError(kind: kind, message: sqliteMessage(sqliteError), underlying: sqliteError)
    }

    private static func sqliteMessage(_ error: any Error) -> String {
        (error as? SQLiteError)?.message ?? "\(error)"
    }
}
