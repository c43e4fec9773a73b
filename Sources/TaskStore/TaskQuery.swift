/// Which tasks ``TaskStore/tasks(_:)`` lists, in which order, and how many.
///
/// Filters combine with AND. Without ``changedAfter`` the tasks come in id order, after ``afterID``; with it they come
/// in change order (``TaskInstance/changeSeq``, then id), only those changed after the cursor.
public struct TaskQuery: Sendable, Hashable {
    /// Any of these states; every state when empty.
    public var states: Set<TaskState>
    public var dagID: String?
    public var runID: String?
    public var externalID: String?
    /// Only these ids, when given.
    public var ids: [Int64]?
    /// Only tasks with a greater id: the cursor of id-ordered pages.
    public var afterID: Int64?
    /// Only tasks changed after this cursor, in change order.
    public var changedAfter: ChangeCursor?
    /// At most this many tasks.
    public var limit: Int

    public init(
        states: Set<TaskState> = [], dagID: String? = nil, runID: String? = nil, externalID: String? = nil,
        ids: [Int64]? = nil, afterID: Int64? = nil, changedAfter: ChangeCursor? = nil, limit: Int = 100
    ) {
        self.states = states
        self.dagID = dagID
        self.runID = runID
        self.externalID = externalID
        self.ids = ids
        self.afterID = afterID
        self.changedAfter = changedAfter
        self.limit = limit
    }
}

/// A position in the store's change order: after the task `id` changed at sequence `seq`.
///
/// Written `SEQ` or `SEQ.ID`; `SEQ` alone means after every change up to `SEQ`, and `0` is before every change.
public struct ChangeCursor: Sendable, Hashable, LosslessStringConvertible {
    public var seq: Int64
    public var id: Int64

    public init(seq: Int64, id: Int64 = .max) {
        self.seq = seq
        self.id = id
    }

    /// The cursor just after `task`'s last change.
    public init(after task: TaskInstance) {
        self.init(seq: task.changeSeq, id: task.id)
    }

    public init?(_ description: String) {
        let parts = description.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let seq = Int64(parts[0]), seq >= 0 else { return nil }
        guard parts.count == 2 else {
            self.init(seq: seq)
            return
        }
        guard let id = Int64(parts[1]), id >= 0 else { return nil }
        self.init(seq: seq, id: id)
    }

    public var description: String { id == .max ? "\(seq)" : "\(seq).\(id)" }
}

/// Part of a task's log: the bytes asked for, and where the log ends now.
public struct LogSlice: Sendable, Hashable {
    public var bytes: [UInt8]
    /// The size of the whole log in bytes: the offset to read on from.
    public var end: Int

    public init(bytes: [UInt8], end: Int) {
        self.bytes = bytes
        self.end = end
    }
}
