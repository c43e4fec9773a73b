import JSON
import Synchronization

extension PodStore {
    /// An open watch: the events to send first, then the live ones through a bounded buffer.
    struct Subscription: Sendable {
        var id: Int
        /// Synthetic ADDED events for the current state, or the history after the requested version.
        var initial: [WatchEvent]
        /// Live events; finished when the client is too slow, at shutdown, or by ``PodStore/endWatch(_:)``.
        var events: AsyncStream<WatchEvent>
    }

    enum WatchStart: Sendable {
        case subscribed(Subscription)
        /// The requested resourceVersion is older than the history: a 410 for the ERROR event.
        case expired(APIError)
    }

    /// Opens a watch atomically with its starting point, so no change falls between the two.
    ///
    /// - Parameters:
    ///   - resource: Pods or Events.
    ///   - filter: Which objects the watcher sees.
    ///   - resourceVersion: `nil` (or 0) for "the current state as ADDED events, then changes";
    ///     otherwise every change after this version.
    ///   - bookmarks: Whether the watcher gets BOOKMARK events.
    func watch(
        _ filter: PodFilter, resource: APIResource = .pods, from resourceVersion: Int64?, bookmarks: Bool
    ) -> WatchStart {
        let (stream, continuation) = AsyncStream<WatchEvent>.makeStream(
            bufferingPolicy: .bufferingOldest(watchBufferLimit))
        let (start, registered) = state.withLock { state -> (WatchStart, Bool) in
            var initial: [WatchEvent] = []
            let history = state.history(resource)
            if let resourceVersion, resourceVersion > 0 {
                if !history.covers(resourceVersion) {
                    let oldest = history.compactedResourceVersion
                    return (.expired(.expired(requested: resourceVersion, oldestAvailable: oldest)), false)
                }
                initial = history.events(after: resourceVersion).compactMap { $0.event(for: filter) }
            } else {
                let objects = state.objects(resource)
                initial = objects.keys.sorted().compactMap { key in
                    guard let object = objects[key], filter.matches(object) else { return nil }
                    return WatchEvent(kind: .added, object: object)
                }
            }
            state.nextWatcherID += 1
            let id = state.nextWatcherID
            let subscription = Subscription(id: id, initial: initial, events: stream)
            // After shutdown a watch gets its initial events and ends.
            guard !state.isShutDown else { return (.subscribed(subscription), false) }
            state.watchers[id] = Watcher(
                resource: resource, filter: filter, bookmarks: bookmarks, continuation: continuation)
            return (.subscribed(subscription), true)
        }
        if !registered { continuation.finish() }
        return start
    }

    /// Ends a watch's live events (its buffered ones are still delivered): the timeout has passed.
    func endWatch(_ id: Int) {
        state.withLock { $0.watchers.removeValue(forKey: id) }?.finish()
    }

    /// Sends a BOOKMARK with the current resourceVersion to every watcher that asked for them. Every change up
    /// to that version is already in each watcher's buffer, ahead of the bookmark.
    func sendBookmarks() {
        let overflowed = state.withLock { state -> [Watcher] in
            let version = state.resourceVersion
            var overflowed: [Watcher] = []
            for (id, watcher) in state.watchers where watcher.bookmarks {
                switch watcher.continuation.yield(.bookmark(version, kind: watcher.resource.kind)) {
                case .enqueued: break
                case .dropped, .terminated:
                    state.watchers[id] = nil
                    overflowed.append(watcher)
                @unknown default: break
                }
            }
            return overflowed
        }
        overflowed.forEach { $0.finish() }
    }

    /// Ends every open watch abruptly (fault injection): each stream's connection is closed mid-stream.
    func dropWatches() {
        let watchers = state.withLock { state -> [Watcher] in
            state.droppedWatchers.formUnion(state.watchers.keys)
            defer { state.watchers.removeAll() }
            return Array(state.watchers.values)
        }
        watchers.forEach { $0.finish() }
    }

    /// Whether the watch was ended by ``dropWatches()``; forgets it.
    func wasDropped(_ id: Int) -> Bool {
        state.withLock { $0.droppedWatchers.remove(id) != nil }
    }

    var watcherCount: Int { state.withLock { $0.watchers.count } }
}
