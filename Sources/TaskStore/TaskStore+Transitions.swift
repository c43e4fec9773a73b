import Logging

extension TaskStore {
    /// Moves a task to `to` only if its state is in `from`, and records the transition as a ``TaskEvent``.
    ///
    /// Sets the state, `reason` (nil clears it), the timestamp that belongs to `to` (`launched_at`, `running_at`,
    /// or `finished_at` for every final state) and `updated_at`; sets `pod_name`, `pod_namespace` and
    /// `controller_id` only when they are given. A move to `failed` without a reason stores the reason
    /// "failed without a recorded reason", so that a failed task always says something.
    ///
    /// - Returns: The task after the change, or nil when its state was not in `from` (nothing changed).
    /// - Throws: ``TaskStoreError`` `.notFound` when there is no task `id`.
    public func transition(
        id: Int64, from: Set<TaskState>, to: TaskState, reason: String? = nil, podName: String? = nil,
        podNamespace: String? = nil, controllerID: String? = nil, node: String? = nil
    ) async throws -> TaskInstance? {
        var reason = reason
        if to == .failed && (reason ?? "").isEmpty {
            logger.warning("A task failed without a reason", metadata: ["task.id": "\(id)"])
            reason = "failed without a recorded reason"
        }
        let storedReason = reason
        let columns = TaskInstance.columns
        let result = try await perform("move task \(id) to \(to.rawValue) in") {
            try await backend.transaction { db -> (TaskInstance, TaskState)? in
                guard let current = try await Self.lockedTask(id: id, db) else {
                    throw Self.notFound(id)
                }
                guard from.contains(current.state) else { return nil }
                let now = WallClock.now()
                let seq = try await Self.nextChangeSeq(db)
                var assignments = "state = ?, reason = ?, updated_at = ?, pod_name = COALESCE(?, pod_name), "
                    + "pod_namespace = COALESCE(?, pod_namespace), controller_id = COALESCE(?, controller_id), "
                    + "change_seq = ?"
                if let timestampColumn = Self.timestampColumn(for: to) { assignments += ", \(timestampColumn) = ?" }
                var binds: [SQLValue] = [
                    .text(to.rawValue), SQLValue(storedReason), .real(now), SQLValue(podName), SQLValue(podNamespace),
                    SQLValue(controllerID), .integer(seq),
                ]
                if Self.timestampColumn(for: to) != nil { binds.append(.real(now)) }
                binds += [.integer(id), .text(current.state.rawValue)]
                let rows = try await db.execute(
                    "UPDATE tasks SET \(assignments) WHERE id = ? AND state = ? RETURNING \(columns)", binds
                )
                guard let row = rows.first else { return nil }
                let updated = try TaskInstance(row: row)
                try await Self.recordEvent(
                    id: id, at: now, from: current.state, to: to, reason: storedReason,
                    controllerID: updated.controllerID, podName: updated.podName, node: node, db
                )
                return (updated, current.state)
            }
        }
        guard let (task, previous) = result else { return nil }
        transitionObservers.notify(TaskTransition(id: id, from: previous, to: to, reason: storedReason))
        logger.debug(
            "Task changed state",
            metadata: ["task.id": "\(id)", "task.from": "\(previous.rawValue)", "task.to": "\(to.rawValue)"]
        )
        return task
    }

    /// Asks for a task to be cancelled: sets `cancel_requested`. A queued task becomes `cancelled` at once; a
    /// launched or running task keeps its state until the controller stops its Pod; a final task is unchanged.
    ///
    /// - Returns: The task after the request, or nil when there is no task `id`.
    public func requestCancel(id: Int64) async throws -> TaskInstance? {
        let columns = TaskInstance.columns
        let cancelled = try await perform("cancel task \(id) in") {
            try await backend.transaction { db -> (TaskInstance?, TaskTransition?) in
                guard let current = try await Self.lockedTask(id: id, db) else { return (nil, nil) }
                if current.state.isFinal { return (current, nil) }
                if current.cancelRequested { return (current, nil) }
                let now = WallClock.now()
                let seq = try await Self.nextChangeSeq(db)
                if current.state == .queued {
                    let reason = "cancelled by user"
                    let rows = try await db.execute(
                        """
                        UPDATE tasks SET state = ?, reason = ?, cancel_requested = 1, finished_at = ?, updated_at = ?,
                        change_seq = ? WHERE id = ? RETURNING \(columns)
                        """,
                        .text(TaskState.cancelled.rawValue), .text(reason), .real(now), .real(now), .integer(seq),
                        .integer(id)
                    )
                    try await Self.recordEvent(
                        id: id, at: now, from: .queued, to: .cancelled, reason: reason,
                        controllerID: current.controllerID, podName: current.podName, node: nil, db
                    )
                    let task = try rows.first.map { row throws(SQLError) in try TaskInstance(row: row) }
                    return (task, TaskTransition(id: id, from: .queued, to: .cancelled, reason: reason))
                }
                let rows = try await db.execute(
                    "UPDATE tasks SET cancel_requested = 1, updated_at = ?, change_seq = ? WHERE id = ? RETURNING \(columns)",
                    .real(now), .integer(seq), .integer(id)
                )
                try await Self.notifyChange(Self.cancelPayload(id: id), db)
                return (try rows.first.map { row throws(SQLError) in try TaskInstance(row: row) }, nil)
            }
        }
        if let transition = cancelled.1 { transitionObservers.notify(transition) }
        return cancelled.0
    }

    /// Says why queued tasks wait (a limit reached), or clears it with nil: sets `reason` on those of `ids` that
    /// are still queued and say something else, without recording a transition. `taskpod tasks show` displays it.
    /// Only the tasks whose reason changes get a new change sequence.
    public func noteWaiting(ids: [Int64], reason: String?) async throws {
        guard !ids.isEmpty else { return }
        try await perform("note why tasks wait in") {
            for batch in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min($0 + 500, ids.count)]) }) {
                let differs = reason == nil ? "reason IS NOT NULL" : "(reason IS NULL OR reason <> ?)"
                let condition = "state = ? AND \(differs) AND id IN (\(SQLDialect.placeholderList(batch.count)))"
                let conditionBinds: [SQLValue] = [.text(TaskState.queued.rawValue)] + (reason.map { [.text($0)] } ?? [])
                    + batch.map { .integer($0) }
                try await backend.transaction { db in
                    // Read first, so that a round in which nothing changes takes no change sequence.
                    let changing = try await db.execute("SELECT id FROM tasks WHERE \(condition)", conditionBinds)
                    guard !changing.isEmpty else { return }
                    let seq = try await Self.nextChangeSeq(db)
                    try await db.execute(
                        "UPDATE tasks SET reason = ?, updated_at = ?, change_seq = ? WHERE \(condition)",
                        [SQLValue(reason), .real(WallClock.now()), .integer(seq)] + conditionBinds
                    )
                }
            }
        }
    }

    /// The recorded transitions of task `id`, oldest first; empty when there is no such task.
    public func events(id: Int64) async throws -> [TaskEvent] {
        try await perform("read the events of task \(id) from") {
            try await backend.execute(
                "SELECT \(TaskEvent.columns) FROM task_events WHERE instance_id = ? ORDER BY id", .integer(id)
            ).map { row throws(SQLError) in try TaskEvent(row: row) }
        }
    }

    // MARK: Helpers

    static func timestampColumn(for state: TaskState) -> String? {
        switch state {
        case .queued: nil
        case .launched: "launched_at"
        case .running: "running_at"
        case .success, .failed, .cancelled: "finished_at"
        }
    }

    /// Reads task `id` inside a transaction, locking its row where the database locks rows.
    static func lockedTask(id: Int64, _ db: any SQLExecutor) async throws -> TaskInstance? {
        try await db.execute(
            "SELECT \(TaskInstance.columns) FROM tasks WHERE id = ?\(db.dialect.rowLockClause)", .integer(id)
        ).first.map { row throws(SQLError) in try TaskInstance(row: row) }
    }

    static func recordEvent(
        id: Int64, at: Double, from: TaskState?, to: TaskState, reason: String?, controllerID: String?,
        podName: String?, node: String?, _ db: any SQLExecutor
    ) async throws {
        try await db.execute(
            """
            INSERT INTO task_events (instance_id, at, from_state, to_state, reason, controller_id, pod_name, node)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
            .integer(id), .real(at), SQLValue(from?.rawValue), .text(to.rawValue), SQLValue(reason),
            SQLValue(controllerID), SQLValue(podName), SQLValue(node)
        )
    }

    /// Takes the next store-wide change sequence, inside the caller's transaction. The clock's row stays locked until
    /// the transaction ends, so sequences commit in the order they are taken.
    static func nextChangeSeq(_ db: any SQLExecutor) async throws -> Int64 {
        guard let seq = try await db.execute("UPDATE task_change_clock SET seq = seq + 1 WHERE id = 1 RETURNING seq")
            .first?.optionalInt64("seq")
        else {
            throw SQLError(kind: .other, message: "the change clock has no row")
        }
        return seq
    }

    static func notFound(_ id: Int64) -> TaskStoreError {
        TaskStoreError(.notFound, "There is no task with id \(id); list the tasks with `taskpod tasks list`.")
    }
}
