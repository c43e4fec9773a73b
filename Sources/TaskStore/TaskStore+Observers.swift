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
    /// The closure in a struct: a bare closure in a `Mutex` is reabstracted (wrapped in a thunk) each time the generic
    /// `withLock` hands it out as `inout` and stores it back, so every notify would add two thunks to the stored
    /// closure, and calling it would grow with every transition ever recorded.
    private struct Observer {
        var body: @Sendable (TaskTransition) -> Void
    }

    private let observer = Mutex<Observer?>(nil)

    func set(_ body: (@Sendable (TaskTransition) -> Void)?) {
        let observer = body.map(Observer.init(body:))
        self.observer.withLock { $0 = observer }
    }

    func notify(_ transition: TaskTransition) {
        let observer = self.observer.withLock { $0 }
        observer?.body(transition)
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
