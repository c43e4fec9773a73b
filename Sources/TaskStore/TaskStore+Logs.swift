extension TaskStore {
    /// Appends `text` to the log of task `id`. Each append is stored as one chunk; ``log(id:)`` joins them.
    ///
    /// - Throws: ``TaskStoreError`` `.notFound` when there is no task `id`.
    public func appendLog(id: Int64, _ text: String) async throws {
        guard !text.isEmpty else { return }
        try await perform("append to the log of task \(id) in") {
            try await backend.transaction { db in
                try await Self.requireTask(id: id, db)
                try await db.execute(
                    """
                    INSERT INTO task_logs (instance_id, seq, chunk)
                    SELECT ?, COALESCE(MAX(seq), 0) + 1, ? FROM task_logs WHERE instance_id = ?
                    """,
                    .integer(id), .blob(Array(text.utf8)), .integer(id)
                )
            }
        }
    }

    /// Replaces the log of task `id` with `text`.
    ///
    /// - Throws: ``TaskStoreError`` `.notFound` when there is no task `id`.
    public func replaceLog(id: Int64, _ text: String) async throws {
        try await perform("replace the log of task \(id) in") {
            try await backend.transaction { db in
                try await Self.requireTask(id: id, db)
                try await db.execute("DELETE FROM task_logs WHERE instance_id = ?", .integer(id))
                if !text.isEmpty {
                    try await db.execute(
                        "INSERT INTO task_logs (instance_id, seq, chunk) VALUES (?, 1, ?)",
                        .integer(id), .blob(Array(text.utf8))
                    )
                }
            }
        }
    }

    /// The log of task `id`: its chunks joined in order; "" when it has none or there is no such task.
    public func log(id: Int64) async throws -> String {
        let rows = try await perform("read the log of task \(id) from") {
            try await backend.execute("SELECT chunk FROM task_logs WHERE instance_id = ? ORDER BY seq", .integer(id))
        }
        var bytes: [UInt8] = []
        for row in rows { bytes += row.bytes("chunk") }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Checks that task `id` exists and locks its row where the database locks rows, so that two appends to one
    /// log never compute the same `seq`.
    private static func requireTask(id: Int64, _ db: any SQLExecutor) async throws {
        let sql = "SELECT id FROM tasks WHERE id = ?\(db.dialect.rowLockClause)"
        guard try await !db.execute(sql, .integer(id)).isEmpty else {
            throw notFound(id)
        }
    }
}
