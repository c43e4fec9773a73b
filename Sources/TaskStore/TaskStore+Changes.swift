import Logging

/// What another writer changed in the store, as far as a watcher can tell (see ``TaskStore/watchChanges(every:_:)``).
public enum StoreChange: Sendable, Hashable {
    /// Tasks were queued.
    case queued
    /// A cancel was requested for a launched or running task.
    case cancelRequested(id: Int64)
    /// Something changed, but the store cannot say what: SQLite's change counter moved, or a listener (re)connected
    /// and may have missed notifications.
    case unknown
}

extension TaskStore {
    /// The PostgreSQL channel the store notifies on, in the transaction that queues tasks or requests a cancel.
    static let changeChannel = "taskpod_tasks"

    /// Tells `onChange` about the changes other connections commit, until the calling task is cancelled: how a
    /// controller learns at once of tasks that another process (`taskpod submit --db`) queued or cancelled.
    ///
    /// On PostgreSQL a connection of its own `LISTEN`s on the store's channel; every submit and cancel request
    /// `NOTIFY`s in its own transaction, so a change is told once it commits. When the listening connection fails it
    /// is made again after a pause, and the first change told is ``StoreChange/unknown``. On SQLite the store's
    /// connection reads `PRAGMA data_version` every `interval`, which moves when another connection commits: one
    /// cheap statement, no polling of the tasks table; the changes this store object makes itself do not move it.
    /// Either way the first change told, once the watch is set up, is ``StoreChange/unknown``: changes made before
    /// it were not watched.
    ///
    /// - Parameters:
    ///   - interval: How often SQLite's change counter is read; unused on PostgreSQL.
    ///   - onChange: Called for each change, from the watching task; keep it short.
    /// - Throws: `CancellationError` when the task is cancelled; ``TaskStoreError`` when SQLite's counter cannot be read.
    public func watchChanges(every interval: Duration = .milliseconds(15), _ onChange: @escaping @Sendable (StoreChange) -> Void)
        async throws
    {
        if let postgres = backend as? PostgresBackend {
            try await postgres.listen(channel: Self.changeChannel) { payload in onChange(Self.change(payload: payload)) }
            return
        }
        guard let sqlite = backend as? SQLiteBackend else { return }
        var seen = try await perform("read the change counter of") { try await sqlite.dataVersion() }
        // What changed before the first read is unknown (as a listener's start on PostgreSQL).
        onChange(.unknown)
        while true {
            try await Task.sleep(for: interval)
            let now = try await perform("read the change counter of") { try await sqlite.dataVersion() }
            if now != seen {
                seen = now
                onChange(.unknown)
            }
        }
    }

    /// Notifies the store's listeners, inside the caller's transaction, so the change is told once it commits (and
    /// not at all when it rolls back). A no-op on SQLite, whose watchers read its change counter.
    static func notifyChange(_ payload: String, _ db: any SQLExecutor) async throws {
        guard db.dialect == .postgres else { return }
        try await db.execute("SELECT pg_notify(?, ?)", .text(changeChannel), .text(payload))
    }

    /// The payload of a queued-tasks notification.
    static let queuedPayload = "queued"

    static func cancelPayload(id: Int64) -> String { "cancel:\(id)" }

    static func change(payload: String) -> StoreChange {
        if payload == queuedPayload { return .queued }
        if payload.hasPrefix("cancel:"), let id = Int64(payload.dropFirst("cancel:".count)) { return .cancelRequested(id: id) }
        return .unknown
    }
}
