import ServiceLifecycle

extension TaskStore: Service {
    /// Runs the connection pool of a PostgreSQL store opened with ``PoolRunner/service`` until the group's graceful
    /// shutdown; any other store has nothing to run and waits for that shutdown. List the store before the services
    /// that use it: a `ServiceGroup` stops its services in reverse order, so the store stops last.
    public func run() async throws {
        if let postgres = backend as? PostgresBackend, postgres.runsAsService {
            await postgres.run()
        } else {
            try? await gracefulShutdown()
        }
    }
}
