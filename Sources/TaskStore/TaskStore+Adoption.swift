import Logging

extension TaskStore {
    /// The non-final tasks that controller `controllerID` holds, in any of `states`, ordered by id ascending: what a
    /// restarting controller picks up again. Final states in `states` match nothing.
    public func tasks(controllerID: String, in states: Set<TaskState>) async throws -> [TaskInstance] {
        let names = states.filter { !$0.isFinal }.map(\.rawValue).sorted()
        guard !names.isEmpty else { return [] }
        return try await perform("list the tasks of controller '\(controllerID)' in") {
            try await backend.execute(
                """
                SELECT \(TaskInstance.columns) FROM tasks
                WHERE controller_id = ? AND state IN (\(SQLDialect.placeholderList(names.count))) ORDER BY id
                """,
                [.text(controllerID)] + names.map { .text($0) }
            ).map { row throws(SQLError) in try TaskInstance(row: row) }
        }
    }

    /// Moves every non-final task that controller `from` holds to controller `to`, atomically, and returns the moved
    /// tasks ordered by id. Each launched or running task gets a ``TaskEvent`` that keeps its state, with the reason
    /// "adopted from `from`" and controller `to`; queued claims move silently.
    ///
    /// Safe when several controllers adopt the same dead peer at once: each task moves exactly once, to one of them,
    /// and the others get only what was left. The rows are locked in id order and checked again once locked (on
    /// SQLite the whole move runs under the write lock).
    ///
    /// ```swift
    /// for peer in deadPeers {
    ///     let adopted = try await store.reassign(from: peer, to: "controller-a")
    ///     // relabel the Pods of the adopted launched and running tasks: airflow-worker=controller-a
    /// }
    /// ```
    public func reassign(from: String, to: String) async throws -> [TaskInstance] {
        guard from != to else { return [] }
        let moved = try await perform("move the tasks of controller '\(from)' to '\(to)' in") {
            try await backend.transaction { db in try await Self.reassign(from: from, to: to, db) }
        }
        if !moved.isEmpty {
            logger.info(
                "Adopted the tasks of another controller",
                metadata: [
                    "controller.id": "\(to)", "controller.from": "\(from)", "task.count": "\(moved.count)",
                ]
            )
        }
        return moved
    }

    /// The move of ``reassign(from:to:)``, inside the caller's transaction: the rows stay locked until it ends.
    static func reassign(from: String, to: String, _ db: any SQLExecutor) async throws -> [TaskInstance] {
        let held = [TaskState.queued, .launched, .running]
        let condition = "controller_id = ? AND state IN (\(SQLDialect.placeholderList(held.count)))"
        let conditionBinds: [SQLValue] = [.text(from)] + held.map { .text($0.rawValue) }
        let now = WallClock.now()
        // Picked once and locked in id order (a materialised CTE, as in the claim): a concurrent adopter waits for
        // these rows and then finds them held by `to`, so it skips them.
        let moved = try await db.execute(
            """
            WITH picked (move_id) AS MATERIALIZED (
                SELECT id FROM tasks WHERE \(condition) ORDER BY id\(db.dialect.rowLockClause)
            )
            UPDATE tasks SET controller_id = ?, updated_at = ?
            WHERE \(condition) AND id IN (SELECT move_id FROM picked)
            RETURNING \(TaskInstance.columns)
            """,
            conditionBinds + [.text(to), .real(now)] + conditionBinds
        ).map { row throws(SQLError) in try TaskInstance(row: row) }.sorted { $0.id < $1.id }

        let withPods = moved.filter { $0.state == .launched || $0.state == .running }.map(\.id)
        for start in stride(from: 0, to: withPods.count, by: idBatchSize) {
            let batch = withPods[start..<min(start + idBatchSize, withPods.count)]
            try await db.execute(
                """
                INSERT INTO task_events (instance_id, at, from_state, to_state, reason, controller_id, pod_name, node)
                SELECT id, ?, state, state, ?, ?, pod_name, NULL FROM tasks
                WHERE id IN (\(SQLDialect.placeholderList(batch.count))) ORDER BY id
                """,
                [.real(now), .text("adopted from \(from)"), .text(to)] + batch.map { .integer($0) }
            )
        }
        return moved
    }
}
