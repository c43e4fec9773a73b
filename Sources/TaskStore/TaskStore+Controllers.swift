import Logging

extension TaskStore {
    /// Registers controller `id` as started now: inserts its row, or resets the row of an earlier run (the start and
    /// heartbeat become now, `stopped_at` is cleared, `host` is replaced).
    ///
    /// - Parameters:
    ///   - id: The controller's identity, the value of its Pods' `airflow-worker` label.
    ///   - host: Where it runs (a host or Pod name), for people reading the registry.
    ///
    /// ```swift
    /// try await store.registerController(id: "controller-a", host: ProcessInfo.processInfo.hostName)
    /// // every few seconds:
    /// try await store.heartbeat(id: "controller-a")
    /// // on graceful shutdown:
    /// try await store.markStopped(id: "controller-a")
    /// ```
    public func registerController(id: String, host: String?) async throws {
        try Self.validateControllerID(id)
        try await perform("register controller '\(id)' in") {
            let now = WallClock.now()
            try await backend.execute(
                """
                INSERT INTO controllers (id, host, started_at, heartbeat_at, stopped_at) VALUES (?, ?, ?, ?, NULL)
                ON CONFLICT (id) DO UPDATE SET host = excluded.host, started_at = excluded.started_at,
                    heartbeat_at = excluded.heartbeat_at, stopped_at = NULL
                """,
                .text(id), SQLValue(host), .real(now), .real(now)
            )
        }
        logger.debug("Registered a controller", metadata: ["controller.id": "\(id)"])
    }

    /// Records a heartbeat of controller `id`: its `heartbeat_at` becomes now.
    ///
    /// - Throws: ``TaskStoreError`` `.notFound` when controller `id` was never registered.
    public func heartbeat(id: String) async throws {
        let rows = try await perform("record a heartbeat of controller '\(id)' in") {
            try await backend.execute(
                "UPDATE controllers SET heartbeat_at = ? WHERE id = ? RETURNING id", .real(WallClock.now()), .text(id)
            )
        }
        guard !rows.isEmpty else { throw controllerNotFound(id) }
    }

    /// Marks controller `id` as stopped by a graceful shutdown (`stopped_at` becomes now), so that its peers may
    /// adopt its Pods at once instead of waiting for its heartbeat to lapse. Does nothing for a controller that was
    /// never registered.
    public func markStopped(id: String) async throws {
        _ = try await perform("mark controller '\(id)' stopped in") {
            try await backend.execute(
                "UPDATE controllers SET stopped_at = ? WHERE id = ?", .real(WallClock.now()), .text(id)
            )
        }
        logger.debug("Marked a controller stopped", metadata: ["controller.id": "\(id)"])
    }

    /// Every registered controller, ordered by id.
    public func controllers() async throws -> [ControllerRecord] {
        try await perform("list the controllers in") {
            try await backend.execute("SELECT \(ControllerRecord.columns) FROM controllers ORDER BY id", [])
                .map { row throws(SQLError) in try ControllerRecord(row: row) }
        }
    }

    // MARK: Helpers

    static func validateControllerID(_ id: String) throws(TaskStoreError) {
        if id.isEmpty {
            throw TaskStoreError(.invalidInput, "Cannot register a controller with an empty id; give it an id.")
        }
        if id.utf8.contains(0) {
            throw TaskStoreError(
                .invalidInput, "Cannot register controller '\(id)': its id contains a NUL character; remove it."
            )
        }
    }

    func controllerNotFound(_ id: String) -> TaskStoreError {
        TaskStoreError(
            .notFound,
            "Controller '\(id)' is not registered in the task store '\(location)'; register it "
                + "(registerController(id:host:)) before it sends heartbeats."
        )
    }
}
