/// The last `capacity` changes, in resourceVersion order, for watches that start from a resourceVersion.
struct EventHistory: Sendable {
    private var events: [StoredEvent] = []
    private var start = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var count: Int { events.count - start }

    /// The resourceVersion of the oldest event kept, `nil` when none is.
    var oldestResourceVersion: Int64? { start < events.count ? events[start].resourceVersion : nil }

    mutating func append(_ event: StoredEvent) {
        events.append(event)
        if count > capacity { start += 1 }
        if start >= capacity {
            events.removeFirst(start)
            start = 0
        }
    }

    /// The kept events with a resourceVersion greater than `resourceVersion`, oldest first.
    func events(after resourceVersion: Int64) -> ArraySlice<StoredEvent> {
        var low = start
        var high = events.count
        while low < high {
            let middle = (low + high) / 2
            if events[middle].resourceVersion <= resourceVersion { low = middle + 1 } else { high = middle }
        }
        return events[low...]
    }
}
