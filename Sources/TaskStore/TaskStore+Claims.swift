import Logging

extension TaskStore {
    /// Claims up to `limit` queued tasks for `controllerID` and returns them ordered by id.
    ///
    /// A task can be claimed when no controller holds it (`controller_id` is NULL) or when a controller in
    /// `reclaimFrom` (a dead peer) holds it. The claim is one atomic update, so when several controllers or processes
    /// claim at once no task is returned to more than one of them. On SQLite it runs under the write lock; on
    /// PostgreSQL it skips the rows that another claim in progress holds (`FOR UPDATE SKIP LOCKED`), so claimers do
    /// not wait for each other.
    public func claimQueued(limit: Int, controllerID: String, reclaimFrom: Set<String> = []) async throws
        -> [TaskInstance]
    {
        guard limit > 0 else { return [] }
        let claimed = try await perform("claim queued tasks in") {
            try await backend.transaction { db in
                try await Self.claim(limit: limit, controllerID: controllerID, reclaimFrom: reclaimFrom, db)
            }
        }
        if !claimed.isEmpty {
            logger.debug(
                "Claimed queued tasks",
                metadata: ["controller.id": "\(controllerID)", "task.count": "\(claimed.count)"]
            )
        }
        return claimed
    }

    /// The claiming statement of ``claimQueued(limit:controllerID:reclaimFrom:)``, inside the caller's transaction:
    /// the rows stay locked until it ends.
    static func claim(limit: Int, controllerID: String, reclaimFrom: Set<String>, _ db: any SQLExecutor) async throws
        -> [TaskInstance]
    {
        let (condition, conditionBinds) = claimable(reclaimFrom: reclaimFrom)
        // The rows are picked once, in a materialised CTE: as a plain `IN (subquery)` PostgreSQL may run the
        // subquery again for each row it updates, and each run skips the rows the previous ones locked, so the
        // claim would take more than `limit` rows. The update repeats the condition, so a row that changed between
        // the two is skipped.
        return try await db.execute(
            """
            WITH picked (claim_id) AS MATERIALIZED (
                SELECT id FROM tasks WHERE \(condition) ORDER BY id LIMIT ?\(db.dialect.claimLockClause)
            )
            UPDATE tasks SET controller_id = ?, updated_at = ?
            WHERE \(condition) AND id IN (SELECT claim_id FROM picked)
            RETURNING \(TaskInstance.columns)
            """,
            conditionBinds + [SQLValue(limit), .text(controllerID), .real(WallClock.now())] + conditionBinds
        ).map { row throws(SQLError) in try TaskInstance(row: row) }.sorted { $0.id < $1.id }
    }

    /// The queued tasks a controller may claim, ordered by id, at most `limit` of them: those no controller holds and
    /// those a controller in `reclaimFrom` (a dead peer) holds. Nothing is claimed: the controller picks among them
    /// by its per-DAG and per-namespace limits and then claims its picks with ``claim(ids:controllerID:reclaimFrom:)``.
    public func claimCandidates(limit: Int, reclaimFrom: Set<String> = []) async throws -> [TaskInstance] {
        guard limit > 0 else { return [] }
        let (condition, binds) = Self.claimable(reclaimFrom: reclaimFrom)
        return try await perform("list the claimable tasks in") {
            try await backend.execute(
                "SELECT \(TaskInstance.columns) FROM tasks WHERE \(condition) ORDER BY id LIMIT ?",
                binds + [SQLValue(limit)]
            ).map { row throws(SQLError) in try TaskInstance(row: row) }
        }
    }

    /// Claims for `controllerID` those of `ids` that are still queued and held by no controller (or by one in
    /// `reclaimFrom`), atomically, and returns them ordered by id; ids that were claimed meanwhile, left `queued`
    /// or do not exist are left out.
    ///
    /// No task is ever handed to two claimers: on PostgreSQL the rows are locked in id order and checked again once
    /// locked, so a claimer whose ids overlap another's waits for that claim to commit (a moment) and then takes only
    /// what is still free; on SQLite the claim runs under the write lock.
    ///
    /// ```swift
    /// let load = try await store.activeLoad()
    /// let picks = try await store.claimCandidates(limit: 100, reclaimFrom: deadPeers)
    ///     .filter { (load.byDag[$0.key.dagID] ?? 0) < maxPerDag }   // and per namespace, counting the picks
    /// let mine = try await store.claim(ids: picks.map(\.id), controllerID: "controller-a", reclaimFrom: deadPeers)
    /// ```
    public func claim(ids: [Int64], controllerID: String, reclaimFrom: Set<String> = []) async throws
        -> [TaskInstance]
    {
        guard !ids.isEmpty else { return [] }
        let claimed = try await perform("claim tasks in") {
            try await backend.transaction { db in
                try await Self.claim(ids: ids, controllerID: controllerID, reclaimFrom: reclaimFrom, db)
            }
        }
        if !claimed.isEmpty {
            logger.debug(
                "Claimed queued tasks",
                metadata: ["controller.id": "\(controllerID)", "task.count": "\(claimed.count)"]
            )
        }
        return claimed
    }

    /// The tasks that hold a slot now (launched, running, and queued tasks some controller has claimed), in all, by
    /// DAG and by namespace.
    public func activeLoad() async throws -> ActiveLoad {
        try await perform("count the active tasks in") {
            let rows = try await backend.execute(
                """
                SELECT dag_id, pod_ns, COUNT(*) AS n FROM (
                    SELECT dag_id, COALESCE(pod_namespace, namespace, '') AS pod_ns FROM tasks
                    WHERE state IN (?, ?) OR (state = ? AND controller_id IS NOT NULL)
                ) AS active
                GROUP BY dag_id, pod_ns
                """,
                .text(TaskState.launched.rawValue), .text(TaskState.running.rawValue),
                .text(TaskState.queued.rawValue)
            )
            var load = ActiveLoad()
            for row in rows {
                let count = Int(try row.int64("n"))
                load.total += count
                load.byDag[try row.string("dag_id"), default: 0] += count
                load.byNamespace[try row.string("pod_ns"), default: 0] += count
            }
            return load
        }
    }

    /// Gives back `controllerID`'s claim on a task that is still queued, so that any controller may claim it.
    /// Does nothing when the task is no longer queued or another controller holds it.
    public func releaseClaim(id: Int64, controllerID: String) async throws {
        try await perform("release the claim on task \(id) in") {
            _ = try await backend.transaction { db in
                try await db.execute(
                    """
                    UPDATE tasks SET controller_id = NULL, updated_at = ?
                    WHERE id = ? AND controller_id = ? AND state = ?
                    """,
                    .real(WallClock.now()), .integer(id), .text(controllerID), .text(TaskState.queued.rawValue)
                )
            }
        }
    }

    /// The claim of ``claim(ids:controllerID:reclaimFrom:)``, inside the caller's transaction: the rows stay locked
    /// until it ends.
    static func claim(ids: [Int64], controllerID: String, reclaimFrom: Set<String>, _ db: any SQLExecutor)
        async throws -> [TaskInstance]
    {
        let ids = Set(ids).sorted()
        let (condition, conditionBinds) = claimable(reclaimFrom: reclaimFrom)
        var claimed: [TaskInstance] = []
        // In batches that stay far below the databases' limits on bind parameters; ascending, so that claimers lock
        // rows in one order and never deadlock.
        for start in stride(from: 0, to: ids.count, by: idBatchSize) {
            let batch = ids[start..<min(start + idBatchSize, ids.count)]
            claimed += try await db.execute(
                """
                WITH picked (claim_id) AS MATERIALIZED (
                    SELECT id FROM tasks WHERE id IN (\(SQLDialect.placeholderList(batch.count))) AND \(condition)
                    ORDER BY id\(db.dialect.rowLockClause)
                )
                UPDATE tasks SET controller_id = ?, updated_at = ?
                WHERE \(condition) AND id IN (SELECT claim_id FROM picked)
                RETURNING \(TaskInstance.columns)
                """,
                batch.map { .integer($0) } + conditionBinds + [.text(controllerID), .real(WallClock.now())]
                    + conditionBinds
            ).map { row throws(SQLError) in try TaskInstance(row: row) }
        }
        return claimed.sorted { $0.id < $1.id }
    }

    // MARK: Helpers

    /// How many ids one statement binds at most.
    static let idBatchSize = 500

    /// The condition (and its binds) of a task a claim may take: queued, and held by no controller or by one in
    /// `reclaimFrom`.
    static func claimable(reclaimFrom: Set<String>) -> (condition: String, binds: [SQLValue]) {
        let peers = reclaimFrom.sorted()
        let peerCondition = peers.isEmpty ? "" : " OR controller_id IN (\(SQLDialect.placeholderList(peers.count)))"
        return (
            "state = ? AND (controller_id IS NULL\(peerCondition))",
            [.text(TaskState.queued.rawValue)] + peers.map { .text($0) }
        )
    }
}
