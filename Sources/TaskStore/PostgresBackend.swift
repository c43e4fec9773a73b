import Logging
import PostgresNIO
import Synchronization

/// The PostgreSQL backend: a pool of connections (PostgresNIO's `PostgresClient`) that several controllers share a
/// database through.
///
/// The pool is a `Service`. Opened for a `ServiceGroup` (``TaskStore/PoolRunner/service``), the store's `run()` runs
/// it, so the pool stops with the group, after the services listed behind the store. Opened on its own (a command
/// that runs once, a test), the backend runs it in a task it owns from ``open(_:logger:runner:)`` to ``close()``,
/// which cancels that task and waits for it, so that no connection outlives the store. Statements outside a transaction
/// run on any pooled connection; a transaction leases one connection from `BEGIN` to `COMMIT` or `ROLLBACK`.
/// Transactions run at PostgreSQL's default isolation, READ COMMITTED: the store's statements lock the rows they
/// read before changing them (``SQLDialect/rowLockClause``), and claims skip rows that other claimers hold
/// (``SQLDialect/claimLockClause``). A transaction that fails with a deadlock or a serialisation failure is retried a
/// few times, as SQLite's busy transactions are.
final class PostgresBackend: SQLBackend {
    /// How often a transaction that hit a deadlock or a serialisation failure is tried in all.
    static let transactionAttempts = 4

    let dialect = SQLDialect.postgres
    let url: PostgresURL
    private let client: PostgresClient
    let logger: Logger
    private let state: Mutex<State>

    private enum State {
        /// The pool runs in the backend's own task.
        case running(Task<Void, Never>)
        /// The pool waits for ``run()``, which the store's `ServiceGroup` calls.
        case service
        case closed
    }

    private init(url: PostgresURL, client: PostgresClient, state: State, logger: Logger) {
        self.url = url
        self.client = client
        self.logger = logger
        self.state = Mutex(state)
    }

    /// Connects to the server at `url` and starts the pool.
    ///
    /// One connection is made first, on its own, so that a server that cannot be reached, a wrong password or a
    /// missing database fails here at once with the server's reason (the pool would keep retrying in the
    /// background).
    static func open(_ url: PostgresURL, logger: Logger, runner: TaskStore.PoolRunner = .owned) async throws -> PostgresBackend {
        let configuration = try clientConfiguration(url)
        let probe: PostgresConnection
        do {
            probe = try await PostgresConnection.connect(
                configuration: try connectionConfiguration(url), id: 0, logger: logger
            )
        } catch {
            throw classify(error, url: url, connecting: true)
        }
        try? await probe.close()

        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let state: State
        switch runner {
        case .owned:
            // Detached so that it inherits no task-locals: opened inside a ServiceLifecycle service, the pool would
            // otherwise stop at the first sign of graceful shutdown, while the caller still needs its store to wind
            // down. The store's close() is what ends it.
            state = .running(Task.detached { await client.run() })
        case .service:
            state = .service
        }
        logger.debug(
            "Opened the PostgreSQL task store",
            metadata: ["store.url": .string(url.displayName), "store.tls": .string(tlsSummary(url))]
        )
        return PostgresBackend(url: url, client: client, state: state, logger: logger)
    }

    /// Runs the pool of a backend opened for a `ServiceGroup` until a graceful shutdown or cancellation; returns at
    /// once for a backend that runs its own pool.
    func run() async {
        guard runsAsService else { return }
        await client.run()
    }

    /// True when the pool waits for ``run()``.
    var runsAsService: Bool {
        state.withLock { state in
            if case .service = state { true } else { false }
        }
    }

    deinit {
        // A safety net for a store that was not closed: stop the pool rather than leave its task running.
        if case .running(let runner) = state.withLock({ $0 }) {
            runner.cancel()
        }
    }

    // MARK: SQLExecutor, SQLBackend

    @discardableResult
    func execute(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        try checkOpen()
        return try await withConnection { connection in
            try await self.run(sql, binds, on: connection)
        }
    }

    func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try checkOpen()
        var attempt = 1
        while true {
            do {
                return try await withConnection { connection in
                    try await self.inTransaction(on: connection, body)
                }
            } catch let error as SQLError where error.kind == .busy && attempt < Self.transactionAttempts {
                logger.debug(
                    "A PostgreSQL task store transaction conflicted with another; retrying",
                    metadata: [
                        "store.url": .string(url.displayName), "retry.attempt": .stringConvertible(attempt),
                        "error.message": .string(error.message),
                    ]
                )
                try? await Task.sleep(for: .milliseconds(20 * attempt + Int.random(in: 0...20)))
                attempt += 1
            }
        }
    }

    func close() async throws {
        let runner: Task<Void, Never>? = state.withLock { state in
            let runner: Task<Void, Never>? = if case .running(let runner) = state { runner } else { nil }
            state = .closed
            return runner
        }
        guard let runner else { return }
        runner.cancel()
        await runner.value
        logger.debug("Closed the PostgreSQL task store", metadata: ["store.url": .string(url.displayName)])
    }

    // MARK: Connections and transactions

    /// The executor a transaction body gets: it runs statements on the transaction's connection.
    private struct Session: SQLExecutor {
        let backend: PostgresBackend
        let connection: PostgresConnection
        var dialect: SQLDialect { backend.dialect }

        @discardableResult
        func execute(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
            try await backend.run(sql, binds, on: connection)
        }
    }

    /// Runs `body` on a leased connection. Errors of the lease (a closed pool, a server that cannot be reached) are
    /// classified; errors of `body` pass unchanged.
    private func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withConnection { connection in
                do {
                    return try await body(connection)
                } catch {
                    throw BodyError(error: error)
                }
            }
        } catch let error as BodyError {
            throw error.error
        } catch {
            throw isClosedNow ? closedError() : Self.classify(error, url: url, connecting: true)
        }
    }

    /// An error of the body of ``withConnection(_:)``, carried past the lease's error handling.
    private struct BodyError: Error {
        var error: any Error
    }

    private func inTransaction<T: Sendable>(
        on connection: PostgresConnection, _ body: @Sendable (any SQLExecutor) async throws -> T
    ) async throws -> T {
        try await run("BEGIN", [], on: connection)
        do {
            let result = try await body(Session(backend: self, connection: connection))
            try await run("COMMIT", [], on: connection)
            return result
        } catch {
            do {
                try await run("ROLLBACK", [], on: connection)
            } catch {
                logger.warning(
                    "Rolling back a task store transaction failed",
                    metadata: ["store.url": .string(url.displayName), "error.message": .string("\(error)")]
                )
            }
            throw error
        }
    }

    private func checkOpen() throws(SQLError) {
        let isClosed = state.withLock { state in
            if case .closed = state { true } else { false }
        }
        if isClosed { throw closedError() }
    }

    func closedError() -> SQLError {
        SQLError(kind: .closed, message: "the task store '\(url.displayName)' is closed; open it again")
    }

    /// Runs one statement on `connection` and reads all its rows.
    @discardableResult
    private func run(_ sql: String, _ binds: [SQLValue], on connection: PostgresConnection) async throws -> [SQLRow] {
        var bindings = PostgresBindings(capacity: binds.count)
        for value in binds { Self.append(value, to: &bindings) }
        let query = PostgresQuery(unsafeSQL: dialect.render(sql), binds: bindings)
        do {
            let rows = try await connection.query(query, logger: logger).collect()
            return try rows.map { row in
                var values: [String: SQLValue] = [:]
                for cell in row { values[cell.columnName] = try Self.value(cell) }
                return SQLRow(values)
            }
        } catch let error as SQLError {
            throw error
        } catch {
            if Task.isCancelled, error is CancellationError || (error as? PSQLError)?.code == .queryCancelled {
                throw CancellationError()
            }
            throw isClosedNow ? closedError() : Self.classify(error, url: url, connecting: false)
        }
    }

    private var isClosedNow: Bool {
        state.withLock { state in
            if case .closed = state { true } else { false }
        }
    }
}
