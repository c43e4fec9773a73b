import Logging
import ServiceLifecycle

/// The durable record of every task instance: its key, spec, state and timestamps, its transitions, and its log.
///
/// The store runs on SQLite (a file; the embedded default) or PostgreSQL (for production and several controllers
/// in high availability); the same statements and migrations serve both. Share one store object freely between
/// tasks.
///
/// On SQLite one store object holds one database connection and runs one operation at a time. Several processes may
/// open the same file at once (the controller and `taskpod submit`): every write that reads first runs in a
/// transaction that holds the write lock, so conditional updates and claims are safe across processes.
///
/// On PostgreSQL a store object holds a pool of connections. Transactions lock the rows they change, and claims skip
/// rows that another controller's open claim holds (`FOR UPDATE SKIP LOCKED`), so controllers claim at once without
/// waiting for each other and without handing a task out twice.
///
/// ```swift
/// let store = try await TaskStore.open("/var/lib/taskpod/taskpod.db", logger: logger)
/// // or: TaskStore.open("postgres://taskpod:secret@db.internal:5432/taskpod", logger: logger)
/// let task = try await store.submit(
///     key: TaskKey(dagID: "etl", taskID: "load", runID: "manual__1"),
///     spec: TaskSpec(command: ["python", "-m", "load"])
/// )
/// let claimed = try await store.claimQueued(limit: 10, controllerID: "controller-a")
/// try await store.close()
/// ```
public final class TaskStore: Sendable {
    /// Who runs a PostgreSQL store's connection pool.
    public enum PoolRunner: Sendable {
        /// The store itself, from ``open(_:logger:runner:)`` to ``close()``: for commands that run once and tests.
        case owned
        /// The store's ``run()``, as a `Service` in the process' `ServiceGroup`, listed before the services that use
        /// the store so that it stops after them.
        case service
    }

    let backend: any SQLBackend
    /// The store's path or URL for messages, without passwords.
    let location: String
    let logger: Logger
    let transitionObservers = TransitionObservers()

    private init(backend: any SQLBackend, location: String, logger: Logger) {
        self.backend = backend
        self.location = location
        self.logger = logger
    }

    /// Opens the store at `url`, creating the database and applying pending migrations when needed.
    ///
    /// - Parameters:
    ///   - url: A SQLite file path (`/var/lib/taskpod/taskpod.db`, `taskpod.db`), `sqlite:///abs/path`,
    ///     `sqlite://rel/path`, `file:path` or `file:///abs/path`; `:memory:` for a private in-memory store.
    ///     Or a PostgreSQL URL, `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (or `postgresql://`; user, password
    ///     and database percent-encoded), whose query may set `sslmode`: `verify-full` (the default: TLS with the
    ///     certificate checked against the trusted roots and the host name), `verify-ca` (no host name check),
    ///     `require` (TLS, the certificate **not** checked) or `disable` (no TLS); `sslrootcert=/path/ca.pem` (the
    ///     roots to trust instead of the system's); `host=/socket/dir` (a Unix socket instead of TCP);
    ///     `connect_timeout=SECONDS`. The PostgreSQL database must exist.
    ///   - logger: Where the store logs migrations and retries.
    ///   - runner: Who runs a PostgreSQL store's pool (SQLite has none): the store itself (the default), or its
    ///     ``run()`` in a `ServiceGroup`; then the store answers once the group runs.
    /// - Throws: ``TaskStoreError`` with code `.invalidURL` for a location that cannot be used, `.schema` for a store
    ///   written by a newer taskpod, `.database` when the database cannot be opened or fails. Messages never contain
    ///   the password.
    public static func open(_ url: String, logger: Logger, runner: PoolRunner = .owned) async throws -> TaskStore {
        let location = try StoreLocation(parsing: url)
        if runner == .service, case .postgres(let postgresURL) = location {
            // Migrate through a pool of its own first: the service's pool only runs once its group runs.
            try await open(url, logger: logger).close()
            do {
                let backend = try await PostgresBackend.open(postgresURL, logger: logger, runner: .service)
                return TaskStore(backend: backend, location: location.displayName, logger: logger)
            } catch let error as SQLError {
                throw TaskStoreError(.database, "Cannot open the task store: \(error.message).", underlying: error.underlying ?? error)
            }
        }
        let backend: any SQLBackend
        do {
            switch location {
            case .postgres(let postgresURL):
                backend = try await PostgresBackend.open(postgresURL, logger: logger, runner: .owned)
            case .sqliteFile, .sqliteMemory:
                backend = try await SQLiteBackend.open(location, logger: logger)
            }
        } catch let error as SQLError {
            throw TaskStoreError(
                .database, "Cannot open the task store: \(error.message).", underlying: error.underlying ?? error
            )
        }
        let store = TaskStore(backend: backend, location: location.displayName, logger: logger)
        do {
            try await store.perform("migrate the schema of") {
                try await Migrations.migrate(backend, location: location.displayName, logger: logger)
            }
        } catch {
            try? await backend.close()
            throw error
        }
        return store
    }

    /// Closes the store's connection. Later calls throw; closing twice is a no-op.
    public func close() async throws {
        try await perform("close") { try await backend.close() }
    }

    // MARK: Errors

    /// Runs `body`, turning database-layer errors into ``TaskStoreError``s that say what was being done.
    ///
    /// - Parameter action: completes "Could not ... the task store", for example "submit task etl.load.r1[-1]#1 to".
    func perform<T: Sendable>(_ action: @autoclosure () -> String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as TaskStoreError {
            throw error
        } catch let error as SQLError {
            let detail: String
            switch error.kind {
            case .busy where backend is SQLiteBackend:
                detail = "the database stayed locked by another process for more than "
                    + "\(SQLiteBackend.busyTimeoutMilliseconds / 1000) seconds (\(error.message)); try again"
            case .busy:
                detail = "it kept conflicting with other transactions (\(error.message)); try again"
            case .closed:
                detail = error.message
            case .decoding:
                detail = "\(error.message); the row was changed outside taskpod"
            case .uniqueViolation, .foreignKeyViolation, .undefinedTable, .other:
                detail = error.message
            }
            throw TaskStoreError(
                .database, "Could not \(action()) the task store '\(location)': \(detail).",
                underlying: error.underlying ?? error
            )
        }
    }
}
