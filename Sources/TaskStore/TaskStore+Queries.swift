extension TaskStore {
    /// The tasks `query` selects; see ``TaskQuery``.
    ///
    /// ```swift
    /// // Airflow's sync(): what changed since the last call.
    /// let changed = try await store.tasks(TaskQuery(changedAfter: cursor, limit: 500))
    /// cursor = changed.last.map(ChangeCursor.init(after:)) ?? cursor
    /// ```
    public func tasks(_ query: TaskQuery) async throws -> [TaskInstance] {
        guard query.limit > 0, query.ids?.isEmpty != true else { return [] }
        var conditions: [String] = []
        var binds: [SQLValue] = []
        if !query.states.isEmpty {
            let names = query.states.map(\.rawValue).sorted()
            conditions.append("state IN (\(SQLDialect.placeholderList(names.count)))")
            binds += names.map { .text($0) }
        }
        for (column, value) in [("dag_id", query.dagID), ("run_id", query.runID), ("external_id", query.externalID)] {
            guard let value else { continue }
            conditions.append("\(column) = ?")
            binds.append(.text(value))
        }
        if let ids = query.ids {
            conditions.append("id IN (\(SQLDialect.placeholderList(ids.count)))")
            binds += ids.map { .integer($0) }
        }
        if let afterID = query.afterID {
            conditions.append("id > ?")
            binds.append(.integer(afterID))
        }
        var order = "id"
        if let cursor = query.changedAfter {
            conditions.append("(change_seq > ? OR (change_seq = ? AND id > ?))")
            binds += [.integer(cursor.seq), .integer(cursor.seq), .integer(cursor.id)]
            order = "change_seq, id"
        }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        binds.append(SQLValue(query.limit))
        let sql = "SELECT \(TaskInstance.columns) FROM tasks\(filter) ORDER BY \(order) LIMIT ?"
        return try await perform("list tasks in") {
            try await backend.execute(sql, binds).map { row throws(SQLError) in try TaskInstance(row: row) }
        }
    }

    /// The cursor after the newest change: listing from it returns only later changes.
    public func latestChange() async throws -> ChangeCursor {
        try await perform("read the change clock of") {
            let seq = try await backend.execute("SELECT seq FROM task_change_clock WHERE id = 1").first?
                .optionalInt64("seq")
            return ChangeCursor(seq: seq ?? 0)
        }
    }

    /// Part of the log of task `id`: the bytes from `offset` on, and of those only the last `tailLines` lines when
    /// given. Empty when the log is shorter or there is no such task.
    public func log(id: Int64, offset: Int, tailLines: Int? = nil) async throws -> LogSlice {
        let rows = try await perform("read the log of task \(id) from") {
            try await backend.execute("SELECT chunk FROM task_logs WHERE instance_id = ? ORDER BY seq", .integer(id))
        }
        var bytes: [UInt8] = []
        for row in rows { bytes += row.bytes("chunk") }
        let end = bytes.count
        var slice = bytes[min(max(offset, 0), end)...]
        if let tailLines {
            slice = Self.lastLines(slice, tailLines)
        }
        return LogSlice(bytes: Array(slice), end: end)
    }

    /// The last `count` lines of `text` (a final line without a newline counts).
    static func lastLines(_ text: ArraySlice<UInt8>, _ count: Int) -> ArraySlice<UInt8> {
        guard count > 0 else { return text[text.endIndex...] }
        var seen = 0
        var index = text.endIndex
        // A trailing newline ends the last line; it does not start another.
        if index > text.startIndex && text[index - 1] == UInt8(ascii: "\n") { index -= 1 }
        while index > text.startIndex {
            if text[index - 1] == UInt8(ascii: "\n") {
                seen += 1
                if seen == count { return text[index...] }
            }
            index -= 1
        }
        return text
    }
}
