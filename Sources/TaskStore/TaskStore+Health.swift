extension TaskStore {
    /// Checks that the database answers, with the cheapest query there is (`SELECT 1`), for a readiness probe.
    ///
    /// - Throws: ``TaskStoreError`` `.database` when it does not.
    public func ping() async throws {
        _ = try await perform("ping") { try await backend.execute("SELECT 1 AS one", []) }
    }
}
