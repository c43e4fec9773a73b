import Synchronization

/// One recorded change of a task's state, as observers of a ``TaskStore`` see it.
public struct TaskTransition: Sendable, Equatable {
    /// The task's id.
    public var id: Int64
    public var from: TaskState
    public var to: TaskState
    /// The reason stored with the change (free text: classify it before using it as a metric label).
    public var reason: String?
}

/// Who hears of the transitions a store records. One observer at a time: the controller's metrics.
///
/// Where entries leave: there is one slot, replaced by the next ``TaskStore/observeTransitions(_:)``.
final class TransitionObservers: Sendable {
    private let observer = Mutex<(@Sendable (TaskTransition) -> Void)?>(nil)

    func set(_ body: (@Sendable (TaskTransition) -> Void)?) {
        observer.withLock { $0 = body }
    }

    func notify(_ transition: TaskTransition) {
        observer.withLock { $0 }?(transition)
    }
}

extension TaskStore {
    /// Calls `body` after each state change this store object commits (``transition(id:from:to:reason:podName:podNamespace:controllerID:node:)``
    /// and the cancel of a queued task), outside any transaction; replaces the previous observer, nil removes it.
    /// Changes made by other processes on the same database are not seen.
    public func observeTransitions(_ body: (@Sendable (TaskTransition) -> Void)?) {
        transitionObservers.set(body)
    }
}
