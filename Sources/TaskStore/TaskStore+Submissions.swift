import JSON
import Logging

/// One task to submit: its key, its spec and the client's idempotency key.
public struct TaskSubmission: Sendable, Hashable {
    public var key: TaskKey
    public var spec: TaskSpec
    /// The client's id for this submission (Airflow's `external_executor_id`): submitting the same key with the same
    /// external id again returns the stored task instead of a conflict, so a retried request is harmless.
    public var externalID: String?

    public init(key: TaskKey, spec: TaskSpec, externalID: String? = nil) {
        self.key = key
        self.spec = spec
        self.externalID = externalID
    }
}

/// What became of one submission.
public enum SubmitOutcome: Sendable {
    /// Stored as a new queued task.
    case created(TaskInstance)
    /// A task with the same key and the same external id was stored before (a retried submission): that task.
    case existing(TaskInstance)
    /// A task with the same key but another external id (or none) is stored: that task. Nothing was stored.
    case conflict(TaskInstance)
    /// The submission is not valid; nothing was stored.
    case invalid(TaskStoreError)
}

extension TaskStore {
    /// The most tasks ``submit(batch:)`` takes at once.
    public static let maxBatchSize = 1_000

    /// Stores a task as `queued` unless a task with its key exists; see ``SubmitOutcome``.
    ///
    /// - Throws: ``TaskStoreError`` `.database` when the store fails.
    public func submit(_ submission: TaskSubmission) async throws -> SubmitOutcome {
        try await submit(batch: [submission])[0]
    }

    /// Stores up to ``maxBatchSize`` tasks in one transaction and says, for each, in order, what became of it:
    /// created, existing (same key and external id), conflict (same key, other external id) or invalid. Either all
    /// the created tasks are stored or, when the store fails, none.
    ///
    /// - Throws: ``TaskStoreError`` `.invalidInput` for more than ``maxBatchSize`` submissions, `.database` when the
    ///   store fails.
    public func submit(batch submissions: [TaskSubmission]) async throws -> [SubmitOutcome] {
        guard submissions.count <= Self.maxBatchSize else {
            throw TaskStoreError(
                .invalidInput,
                "A batch holds \(submissions.count) tasks; submit at most \(Self.maxBatchSize) at once."
            )
        }
        var outcomes: [SubmitOutcome?] = submissions.map { submission in
            do throws(TaskStoreError) {
                try Self.validate(key: submission.key, spec: submission.spec, externalID: submission.externalID)
                return nil
            } catch {
                return .invalid(error)
            }
        }
        let valid = submissions.indices.filter { outcomes[$0] == nil }
        guard !valid.isEmpty else { return outcomes.map { $0! } }
        let stored = try await perform("submit \(valid.count) task(s) to") {
            try await backend.transaction { db in
                var results: [SubmitOutcome] = []
                var seq: Int64?
                for index in valid {
                    let submission = submissions[index]
                    if seq == nil { seq = try await Self.nextChangeSeq(db) }
                    results.append(try await Self.insert(submission, seq: seq ?? 0, db))
                }
                if results.contains(where: { if case .created = $0 { true } else { false } }) {
                    try await Self.notifyChange(Self.queuedPayload, db)
                }
                return results
            }
        }
        for (index, outcome) in zip(valid, stored) {
            outcomes[index] = outcome
            if case .created(let task) = outcome {
                logger.debug("Stored a queued task", metadata: ["task.id": "\(task.id)", "task.key": "\(task.key)"])
            }
        }
        return outcomes.map { $0! }
    }

    /// Inserts one submission inside the caller's transaction, or reads the task that holds its key.
    private static func insert(_ submission: TaskSubmission, seq: Int64, _ db: any SQLExecutor) async throws
        -> SubmitOutcome
    {
        let (key, spec) = (submission.key, submission.spec)
        let now = WallClock.now()
        // ON CONFLICT DO NOTHING: a key stored before (or by a concurrent submit, once it commits) leaves the
        // transaction usable, and the stored task is read instead.
        let rows = try await db.execute(
            """
            INSERT INTO tasks (dag_id, task_id, run_id, map_index, try_number, command, args, image, namespace, \
            pod_override, pod_template, env, sensitive, external_id, state, cancel_requested, queued_at, updated_at, \
            change_seq)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)
            ON CONFLICT (dag_id, task_id, run_id, map_index, try_number) DO NOTHING
            RETURNING \(TaskInstance.columns)
            """,
            keyBinds(key) + [
                .text(spec.commandJSON), SQLValue(spec.argsJSON), SQLValue(spec.image), SQLValue(spec.namespace),
                SQLValue(spec.podOverride?.jsonString), SQLValue(spec.podTemplate?.jsonString), .text(spec.envJSON),
                .integer(spec.sensitive ? 1 : 0), SQLValue(submission.externalID), .text(TaskState.queued.rawValue),
                .real(now), .real(now), .integer(seq),
            ]
        )
        if let row = rows.first {
            let task = try TaskInstance(row: row)
            try await recordEvent(
                id: task.id, at: now, from: nil, to: .queued, reason: nil, controllerID: nil, podName: nil, node: nil, db
            )
            return .created(task)
        }
        guard let row = try await db.execute(
            """
            SELECT \(TaskInstance.columns) FROM tasks
            WHERE dag_id = ? AND task_id = ? AND run_id = ? AND map_index = ? AND try_number = ?
            """,
            keyBinds(key)
        ).first else {
            throw SQLError(kind: .other, message: "task \(key) was neither inserted nor found")
        }
        let existing = try TaskInstance(row: row)
        if let externalID = submission.externalID, existing.externalID == externalID {
            return .existing(existing)
        }
        return .conflict(existing)
    }
}
