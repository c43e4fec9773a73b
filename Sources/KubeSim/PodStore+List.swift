import JSON
import Synchronization

extension PodStore {
    /// Which state a list reads.
    enum ListRead: Sendable, Equatable {
        /// The latest state (no `resourceVersion`, or `resourceVersion=0`).
        case latest
        /// `resourceVersion=N` (`resourceVersionMatch=NotOlderThan`, the default): the latest state, once it is
        /// at least N.
        case notOlderThan(Int64)
        /// `resourceVersionMatch=Exact`: the state at exactly N.
        case exact(Int64)
        /// A following page: the snapshot the first page was read from, after its last item.
        case continuing(ContinueToken)
    }

    /// One page of a list.
    struct Page: Sendable {
        var items: [JSONValue]
        /// The snapshot's resourceVersion, the same on every page of one list.
        var resourceVersion: Int64
        /// Where the next page starts; `nil` on the last page.
        var next: ContinueToken?
        /// How many matching items follow this page.
        var remaining: Int
    }

    /// The matching Pods (or Events) of one consistent snapshot in key order, at most `limit` of them.
    ///
    /// Snapshots older than the latest state are rebuilt from the event history, so every page of a list shows
    /// the same state however the Pods change in between, as long as the history still reaches back to it.
    ///
    /// - Parameters:
    ///   - continueTTL: How long a snapshot may have been superseded and still be continued from.
    /// - Throws: ``APIError`` 410 `Expired` when the snapshot is no longer in the history (or older than
    ///   `continueTTL`), 504 `Timeout` for a resourceVersion the store has not reached.
    func list(
        _ filter: PodFilter, resource: APIResource = .pods, read: ListRead, limit: Int?, continueTTL: Duration
    ) throws(APIError) -> Page {
        let now = ContinuousClock.now
        let (page, overflowed) = try state.withLock { state throws(APIError) -> (Page, [Watcher]) in
            let overflowed = resource == .events ? state.expireEvents(now: now) : []
            let history = state.history(resource)
            let current = state.resourceVersion
            var snapshot = current
            var after: PodKey?
            switch read {
            case .latest:
                break
            case .notOlderThan(let version):
                if version > current { throw APIError.tooLargeResourceVersion(version, current: current) }
            case .exact(let version):
                if version > current { throw APIError.tooLargeResourceVersion(version, current: current) }
                guard history.covers(version) else { throw APIError.listResourceVersionTooOld }
                snapshot = version
            case .continuing(let token):
                guard token.resourceVersion <= current, history.covers(token.resourceVersion) else {
                    throw APIError.continueTooOld
                }
                if let superseded = history.events(after: token.resourceVersion).first?.time,
                    now - superseded > continueTTL
                {
                    throw APIError.continueTooOld
                }
                snapshot = token.resourceVersion
                after = token.after
            }

            // The latest state, with every change after the snapshot undone, newest first.
            var pods = state.objects(resource)
            if snapshot < current {
                for event in history.events(after: snapshot).reversed() {
                    let key = PodKey(
                        namespace: event.object[path: "metadata", "namespace"]?.stringValue ?? "",
                        name: event.object[path: "metadata", "name"]?.stringValue ?? "")
                    switch event.kind {
                    case .added: pods[key] = nil
                    case .modified, .deleted: pods[key] = event.previous
                    case .bookmark, .error: break
                    }
                }
            }

            var keys = pods.keys.filter { key in
                if let after, key <= after { return false }
                return filter.matches(pods[key]!)
            }
            keys.sort()
            var next: ContinueToken?
            var remaining = 0
            if let limit, limit > 0, keys.count > limit {
                remaining = keys.count - limit
                keys.removeLast(remaining)
                next = ContinueToken(resourceVersion: snapshot, after: keys[keys.count - 1])
            }
            let page = Page(items: keys.map { pods[$0]! }, resourceVersion: snapshot, next: next, remaining: remaining)
            return (page, overflowed)
        }
        overflowed.forEach { $0.finish() }
        return page
    }

    /// Changes how many events the history keeps (fault injection: forces 410 on rewatch and on old continue
    /// tokens when shrunk).
    func setHistoryWindow(_ capacity: Int) {
        state.withLock { state in
            state.history.setCapacity(capacity)
            state.events.history.setCapacity(capacity)
        }
    }

    var historyWindow: Int { state.withLock { $0.history.capacity } }
}
