/// The informer's lifecycle: list → watch → (rewatch | relist on 410 | back off on errors).
/// A plain value: the informer performs the returned actions.
public struct InformerStateMachine: Sendable {
    public enum State: Sendable, Equatable {
        case idle
        case listing
        case watching(resourceVersion: String)
        case backingOff(attempt: Int, relist: Bool, resourceVersion: String?)
    }

    public enum Action: Sendable, Equatable {
        case list
        case watch(from: String)
        case backOff(attempt: Int)
    }

    public private(set) var state: State = .idle
    /// The newest resourceVersion seen: from a list, an event, or a bookmark.
    public private(set) var resourceVersion: String?

    public init() {}

    public mutating func start() -> Action {
        state = .listing
        return .list
    }

    public mutating func listed(resourceVersion: String) -> Action {
        self.resourceVersion = resourceVersion
        state = .watching(resourceVersion: resourceVersion)
        return .watch(from: resourceVersion)
    }

    /// An ADDED, MODIFIED, DELETED or BOOKMARK event moved the cursor.
    public mutating func observed(resourceVersion: String?) {
        guard let resourceVersion, !resourceVersion.isEmpty else { return }
        self.resourceVersion = resourceVersion
        if case .watching = state { state = .watching(resourceVersion: resourceVersion) }
    }

    /// The server closed the stream normally (timeoutSeconds, or a proxy): rewatch where we were.
    public mutating func watchEnded() -> Action {
        guard let resourceVersion else { return relist() }
        state = .watching(resourceVersion: resourceVersion)
        return .watch(from: resourceVersion)
    }

    /// 410 Gone, as an HTTP status or an ERROR event: the cursor is too old; relist.
    public mutating func expired() -> Action {
        relist()
    }

    private mutating func relist() -> Action {
        resourceVersion = nil
        state = .listing
        return .list
    }

    /// Any other failure of a list or a watch: back off, then relist (after a failed list) or rewatch.
    public mutating func failed() -> Action {
        let attempt: Int
        if case .backingOff(let previous, _, _) = state { attempt = previous + 1 } else { attempt = 1 }
        let relist: Bool
        switch state {
        case .listing, .idle: relist = true
        case .backingOff(_, let previousRelist, _): relist = previousRelist || resourceVersion == nil
        case .watching: relist = resourceVersion == nil
        }
        state = .backingOff(attempt: attempt, relist: relist, resourceVersion: resourceVersion)
        return .backOff(attempt: attempt)
    }

    /// The backoff is over.
    public mutating func backoffElapsed() -> Action {
        guard case .backingOff(_, let relist, let resourceVersion) = state else { return .list }
        if relist || resourceVersion == nil {
            state = .listing
            return .list
        }
        return .watch(from: resourceVersion!)
    }

    /// A successful watch start resets the backoff count.
    public mutating func watchStarted() {
        if let resourceVersion { state = .watching(resourceVersion: resourceVersion) }
    }
}
