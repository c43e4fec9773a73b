import JSON
import Synchronization

/// The simulated etcd and watch cache: Pods and Events by key, one global resourceVersion counter, a bounded
/// history of changes per resource, and the open watches, all behind one lock so that every watcher sees
/// changes in version order.
final class PodStore: Sendable {
    struct Record: Sendable {
        var pod: JSONValue
        var runtime: PodRuntime
    }

    struct Watcher: Sendable {
        var resource: APIResource
        var filter: PodFilter
        var bookmarks: Bool
        var continuation: AsyncStream<WatchEvent>.Continuation
    }

    struct State: Sendable {
        var resourceVersion: Int64 = 1
        var pods: [PodKey: Record] = [:]
        /// Leases by namespace and name; they share the resourceVersion counter but have no watch history.
        var leases: [PodKey: JSONValue] = [:]
        var history: EventHistory
        /// core/v1 Events, bounded (see ``CoreEventLog``).
        var events: CoreEventLog
        var watchers: [Int: Watcher] = [:]
        var nextWatcherID = 0
        /// Watches ended by fault injection: their connections are cut rather than ended cleanly.
        var droppedWatchers: Set<Int> = []
        var isShutDown = false
    }

    let state: Mutex<State>
    let watchBufferLimit: Int
    let logLineLimit: Int
    /// New Pods for the simulated kubelet.
    private let created: AsyncStream<PodRuntime>.Continuation

    init(
        historyWindow: Int, watchBufferLimit: Int, logLineLimit: Int, eventLimit: Int = 10_000,
        eventTTL: Duration = .seconds(3600), created: AsyncStream<PodRuntime>.Continuation
    ) {
        state = Mutex(State(
            history: EventHistory(capacity: historyWindow),
            events: CoreEventLog(limit: eventLimit, ttl: eventTTL, historyWindow: historyWindow)))
        self.watchBufferLimit = max(1, watchBufferLimit)
        self.logLineLimit = logLineLimit
        self.created = created
    }

    var currentResourceVersion: Int64 { state.withLock { $0.resourceVersion } }

    func pod(_ key: PodKey) -> JSONValue? {
        state.withLock { $0.pods[key]?.pod }
    }

    func runtime(_ key: PodKey) -> PodRuntime? {
        state.withLock { $0.pods[key]?.runtime }
    }

    /// All Pods, in key order.
    func allPods() -> [JSONValue] {
        state.withLock { state in state.pods.keys.sorted().map { state.pods[$0]!.pod } }
    }

    /// Stores a new Pod (already validated and defaulted) and hands it to the kubelet.
    ///
    /// - Throws: ``APIError`` 409 `AlreadyExists`.
    func create(_ pod: JSONValue) throws(APIError) -> JSONValue {
        let namespace = pod[path: "metadata", "namespace"]?.stringValue ?? ""
        let name = pod[path: "metadata", "name"]?.stringValue ?? ""
        let key = PodKey(namespace: namespace, name: name)
        let (stored, runtime, overflowed) = try state.withLock { state throws(APIError) in
            guard state.pods[key] == nil else { throw APIError.podAlreadyExists(name) }
            let runtime = PodRuntime(pod: pod, key: key, logLineLimit: logLineLimit)
            let (stored, overflowed) = state.commit(key: key, kind: .added, object: pod, previous: nil)
            state.pods[key] = Record(pod: stored, runtime: runtime)
            return (stored, runtime, overflowed)
        }
        overflowed.forEach { $0.finish() }
        created.yield(runtime)
        return stored
    }

    /// Replaces a Pod with `transform`'s result; no change, no new resourceVersion.
    ///
    /// - Parameters:
    ///   - uid: When given, only the Pod with this uid is changed (the kubelet's updates).
    ///   - transform: Gets the stored Pod; returns the new one or throws ``APIError``.
    /// - Returns: The stored Pod, or `nil` when there is none (with that uid).
    @discardableResult
    func update(
        _ key: PodKey, uid: String? = nil, _ transform: (JSONValue) throws(APIError) -> JSONValue
    ) throws(APIError) -> JSONValue? {
        let (stored, overflowed) = try state.withLock { state throws(APIError) -> (JSONValue?, [Watcher]) in
            guard let record = state.pods[key] else { return (nil, []) }
            if let uid, record.runtime.uid != uid { return (nil, []) }
            let updated = try transform(record.pod)
            if updated == record.pod { return (record.pod, []) }
            let (stored, overflowed) = state.commit(key: key, kind: .modified, object: updated, previous: record.pod)
            state.pods[key]?.pod = stored
            return (stored, overflowed)
        }
        overflowed.forEach { $0.finish() }
        return stored
    }

    /// The kubelet's status updates: `mutate` edits the Pod in place; gone or replaced Pods are left alone.
    @discardableResult
    func updatePod(_ key: PodKey, uid: String, _ mutate: (inout JSONValue) -> Void) -> JSONValue? {
        try? update(key, uid: uid) { pod in
            var pod = pod
            mutate(&pod)
            return pod
        }
    }

    /// Removes a Pod for good (the DELETED event), as the kubelet does once its containers have stopped.
    ///
    /// - Returns: The Pod as deleted (with the deletion's resourceVersion), `nil` when there was none.
    @discardableResult
    func remove(_ key: PodKey, uid: String) -> JSONValue? {
        let (removed, runtime, overflowed) = state.withLock { state -> (JSONValue?, PodRuntime?, [Watcher]) in
            guard let record = state.pods[key], record.runtime.uid == uid else { return (nil, nil, []) }
            state.pods[key] = nil
            let (removed, overflowed) = state.commit(
                key: key, kind: .deleted, object: record.pod, previous: record.pod)
            return (removed, record.runtime, overflowed)
        }
        overflowed.forEach { $0.finish() }
        runtime?.finishLogs()
        return removed
    }

    /// Ends every watch and every log follower, so the server can drain at shutdown.
    func shutdown() {
        let (watchers, runtimes) = state.withLock { state -> ([Watcher], [PodRuntime]) in
            state.isShutDown = true
            defer { state.watchers.removeAll() }
            return (Array(state.watchers.values), state.pods.values.map(\.runtime))
        }
        watchers.forEach { $0.continuation.finish() }
        runtimes.forEach { $0.finishLogs() }
    }
}

extension PodStore.State {
    /// Records a change of a Pod (or an Event): the next resourceVersion on the object, an event in the
    /// resource's history, the event to every watcher of the resource whose filter it concerns. Returns the
    /// object as stored and the watchers that overflowed (their streams must be finished outside the lock).
    mutating func commit(
        key: PodKey, kind: WatchEvent.Kind, object: JSONValue, previous: JSONValue?, resource: APIResource = .pods
    ) -> (JSONValue, [PodStore.Watcher]) {
        resourceVersion += 1
        var object = object
        object[path: "metadata", "resourceVersion"] = .string(String(resourceVersion))
        object = PodDefaults.ordered(object)
        let event = StoredEvent(kind: kind, object: object, previous: previous, resourceVersion: resourceVersion)
        switch resource {
        case .pods: history.append(event)
        case .events: events.history.append(event)
        }
        var overflowed: [PodStore.Watcher] = []
        for (id, watcher) in watchers where watcher.resource == resource {
            guard let watchEvent = event.event(for: watcher.filter) else { continue }
            switch watcher.continuation.yield(watchEvent) {
            case .enqueued: break
            case .dropped, .terminated:
                watchers[id] = nil
                overflowed.append(watcher)
            @unknown default: break
            }
        }
        return (object, overflowed)
    }
}

extension PodStore.State {
    /// The current objects of `resource`, by key.
    func objects(_ resource: APIResource) -> [PodKey: JSONValue] {
        switch resource {
        case .pods: pods.mapValues(\.pod)
        case .events: events.objects
        }
    }

    /// The change history of `resource`.
    func history(_ resource: APIResource) -> EventHistory {
        switch resource {
        case .pods: history
        case .events: events.history
        }
    }
}

extension PodStore.Watcher {
    func finish() { continuation.finish() }
}
