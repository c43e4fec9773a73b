import JSON
import Synchronization

extension PodStore {
    /// Records an occurrence as a new Event, or as one more `count` on the Event of an identical one.
    ///
    /// - Returns: The Event as stored.
    @discardableResult
    func recordEvent(_ event: CoreEvent, now: Timestamp = .now()) -> JSONValue {
        let instant = ContinuousClock.now
        let (stored, overflowed) = state.withLock { state -> (JSONValue, [Watcher]) in
            var overflowed = state.expireEvents(now: instant)
            let stored: JSONValue
            if let (key, entry) = state.events.entry(correlatedWith: event.correlationKey) {
                var updated = entry.object
                updated["count"] = .int((updated["count"]?.intValue ?? 1) + 1)
                updated["lastTimestamp"] = .string(now.rfc3339)
                let (object, full) = state.commit(
                    key: key, kind: .modified, object: updated, previous: entry.object, resource: .events)
                stored = object
                overflowed += full
                state.events.store(
                    object, at: key, correlationKey: event.correlationKey, resourceVersion: state.resourceVersion,
                    now: instant)
            } else {
                var time = now
                var key = PodKey(namespace: event.pod.namespace, name: CoreEvent.name(pod: event.pod.name, at: time))
                while state.events.entries[key] != nil {
                    time.nanoseconds += 1
                    key.name = CoreEvent.name(pod: event.pod.name, at: time)
                }
                let pod = state.pods[event.pod].flatMap { $0.runtime.uid == event.podUID ? $0.pod : nil }
                let object = event.object(
                    name: key.name, podResourceVersion: pod?[path: "metadata", "resourceVersion"]?.stringValue,
                    now: now)
                let (added, full) = state.commit(
                    key: key, kind: .added, object: object, previous: nil, resource: .events)
                stored = added
                overflowed += full
                state.events.store(
                    added, at: key, correlationKey: event.correlationKey, resourceVersion: state.resourceVersion,
                    now: instant)
            }
            overflowed += state.expireEvents(now: instant)
            return (stored, overflowed)
        }
        overflowed.forEach { $0.finish() }
        return stored
    }

    /// Removes the Events past their TTL or beyond the limit (see ``CoreEventLog``).
    func expireEvents() {
        let now = ContinuousClock.now
        state.withLock { $0.expireEvents(now: now) }.forEach { $0.finish() }
    }

    func event(_ key: PodKey) -> JSONValue? {
        let now = ContinuousClock.now
        let (event, overflowed) = state.withLock { state in
            let overflowed = state.expireEvents(now: now)
            return (state.events.entries[key]?.object, overflowed)
        }
        overflowed.forEach { $0.finish() }
        return event
    }

    /// Every Event, in key order.
    func allEvents() -> [JSONValue] {
        state.withLock { state in state.events.entries.keys.sorted().map { state.events.entries[$0]!.object } }
    }
}

extension PodStore.State {
    /// Removes expired Events, each a DELETED change; returns the watchers that overflowed.
    mutating func expireEvents(now: ContinuousClock.Instant) -> [PodStore.Watcher] {
        var overflowed: [PodStore.Watcher] = []
        for object in events.removeExpired(now: now) {
            let key = PodKey(
                namespace: object[path: "metadata", "namespace"]?.stringValue ?? "",
                name: object[path: "metadata", "name"]?.stringValue ?? "")
            overflowed += commit(key: key, kind: .deleted, object: object, previous: object, resource: .events).1
        }
        return overflowed
    }
}
