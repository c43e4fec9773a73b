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
        let peers = reclaimFrom.sorted()
        let peerCondition = peers.isEmpty ? "" : " OR controller_id IN (\(SQLDialect.placeholderList(peers.count)))"
        let condition = "state = ? AND (controller_id IS NULL\(peerCondition))"
        let conditionBinds: [SQLValue] = [.text(TaskState.queued.rawValue)] + peers.map { .text($0) }
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
}
