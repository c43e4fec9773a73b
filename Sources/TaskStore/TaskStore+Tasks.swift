import JSON
import Logging

extension TaskStore {
    /// Stores a new task instance as `queued` and records its first event (from nothing to `queued`).
    ///
    /// - Throws: ``TaskStoreError`` `.duplicate` when a task with the same key exists (the message names its id),
    ///   `.invalidInput` for an empty `dag_id`, `task_id` or `run_id`, a try number below 1, a map index below -1,
    ///   or a NUL character in a stored field.
    public func submit(key: TaskKey, spec: TaskSpec) async throws -> TaskInstance {
        switch try await submit(TaskSubmission(key: key, spec: spec)) {
        case .created(let task): return task
        case .existing(let task), .conflict(let task): throw Self.duplicate(key, existingID: task.id)
        case .invalid(let error): throw error
        }
    }

    /// The task with `id`, or nil when there is none.
    public func task(id: Int64) async throws -> TaskInstance? {
        try await perform("read task \(id) from") {
            try await backend.execute("SELECT \(TaskInstance.columns) FROM tasks WHERE id = ?", .integer(id))
                .first.map { row throws(SQLError) in try TaskInstance(row: row) }
        }
    }

    /// The task with `key`, or nil when there is none.
    public func task(key: TaskKey) async throws -> TaskInstance? {
        try await perform("read task \(key) from") {
            try await backend.execute(
                """
                SELECT \(TaskInstance.columns) FROM tasks
                WHERE dag_id = ? AND task_id = ? AND run_id = ? AND map_index = ? AND try_number = ?
                """,
                Self.keyBinds(key)
            ).first.map { row throws(SQLError) in try TaskInstance(row: row) }
        }
    }

    /// The tasks in `state` (every task when nil), ordered by id ascending, at most `limit` of them.
    public func tasks(state: TaskState? = nil, limit: Int? = nil) async throws -> [TaskInstance] {
        if let limit, limit <= 0 { return [] }
        var sql = "SELECT \(TaskInstance.columns) FROM tasks"
        var binds: [SQLValue] = []
        if let state {
            sql += " WHERE state = ?"
            binds.append(.text(state.rawValue))
        }
        sql += " ORDER BY id"
        if let limit {
            sql += " LIMIT ?"
            binds.append(SQLValue(limit))
        }
        return try await perform("list tasks in") {
            try await backend.execute(sql, binds).map { row throws(SQLError) in try TaskInstance(row: row) }
        }
    }

    /// The tasks in any of `states`, ordered by id ascending.
    public func tasks(in states: Set<TaskState>) async throws -> [TaskInstance] {
        guard !states.isEmpty else { return [] }
        let names = states.map(\.rawValue).sorted()
        return try await perform("list tasks in") {
            try await backend.execute(
                """
                SELECT \(TaskInstance.columns) FROM tasks
                WHERE state IN (\(SQLDialect.placeholderList(names.count))) ORDER BY id
                """,
                names.map { .text($0) }
            ).map { row throws(SQLError) in try TaskInstance(row: row) }
        }
    }

    /// The queued tasks that were queued before `before` (seconds since 1970), ordered by id ascending: the
    /// candidates for the queued timeout.
    public func queuedTasks(queuedBefore before: Double) async throws -> [TaskInstance] {
        try await perform("list the tasks queued for too long in") {
            try await backend.execute(
                "SELECT \(TaskInstance.columns) FROM tasks WHERE state = ? AND queued_at < ? ORDER BY id",
                .text(TaskState.queued.rawValue), .real(before)
            ).map { row throws(SQLError) in try TaskInstance(row: row) }
        }
    }

    /// The ids of `controllerID`'s launched and running tasks whose cancel was requested and is not done yet.
    public func pendingCancels(controllerID: String) async throws -> [Int64] {
        try await perform("list the cancel requests in") {
            try await backend.execute(
                "SELECT id FROM tasks WHERE state IN (?, ?) AND cancel_requested = 1 AND controller_id = ? ORDER BY id",
                .text(TaskState.launched.rawValue), .text(TaskState.running.rawValue), .text(controllerID)
            ).map { row throws(SQLError) in try row.int64("id") }
        }
    }

    /// The number of tasks in each state; every state is present, with zero when no task is in it.
    public func counts() async throws -> [TaskState: Int] {
        let rows = try await perform("count tasks in") {
            try await backend.execute("SELECT state, COUNT(*) AS n FROM tasks GROUP BY state", [])
        }
        var counts = Dictionary(uniqueKeysWithValues: TaskState.allCases.map { ($0, 0) })
        for row in rows {
            guard let name = row.optionalString("state"), let state = TaskState(rawValue: name) else {
                logger.warning(
                    "The task store holds tasks in a state this taskpod does not know",
                    metadata: ["store.path": "\(location)", "task.state": "\(row["state"])"]
                )
                continue
            }
            counts[state] = Int(row.optionalInt64("n") ?? 0)
        }
        return counts
    }

    // MARK: Helpers

    static func keyBinds(_ key: TaskKey) -> [SQLValue] {
        [.text(key.dagID), .text(key.taskID), .text(key.runID), SQLValue(key.mapIndex), SQLValue(key.tryNumber)]
    }

    static func taskID(key: TaskKey, _ db: any SQLExecutor) async throws -> Int64? {
        try await db.execute(
            "SELECT id FROM tasks WHERE dag_id = ? AND task_id = ? AND run_id = ? AND map_index = ? AND try_number = ?",
            keyBinds(key)
        ).first?.optionalInt64("id")
    }

    static func duplicate(_ key: TaskKey, existingID: Int64?) -> TaskStoreError {
        let existing = existingID.map { " (id \($0))" } ?? ""
        return TaskStoreError(
            .duplicate,
            "Task \(key) already exists\(existing): dag_id \(key.dagID), task_id \(key.taskID), run_id \(key.runID), "
                + "map_index \(key.mapIndex), try_number \(key.tryNumber). Submit it with the next try number "
                + "(--try \(key.tryNumber + 1)) to run it again."
        )
    }

    static func validate(key: TaskKey, spec: TaskSpec, externalID: String? = nil) throws(TaskStoreError) {
        func refuse(_ problem: String) -> TaskStoreError {
            TaskStoreError(.invalidInput, "Cannot submit task \(key): \(problem).")
        }
        for (field, value) in [("dag_id", key.dagID), ("task_id", key.taskID), ("run_id", key.runID)] {
            if value.isEmpty { throw refuse("\(field) is empty; give it a value") }
        }
        if key.tryNumber < 1 { throw refuse("try_number is \(key.tryNumber); try numbers start at 1") }
        if key.mapIndex < -1 { throw refuse("map_index is \(key.mapIndex); use -1 for an unmapped task or 0 and up") }
        let fields: [(String, String?)] = [
            ("dag_id", key.dagID), ("task_id", key.taskID), ("run_id", key.runID),
            ("image", spec.image), ("namespace", spec.namespace), ("external_id", externalID),
        ]
        for case let (field, value?) in fields where value.utf8.contains(0) {
            throw refuse("\(field) contains a NUL character; remove it")
        }
        if externalID == "" { throw refuse("external_id is empty; give it a value or leave it out") }
        if spec.args != nil && !spec.command.isEmpty {
            throw refuse("it has both a command and args; give the command (replaces the image's entrypoint) or args")
        }
    }
}
