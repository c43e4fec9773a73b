/// The last `capacity` changes, in resourceVersion order, for watches that start from a resourceVersion and for
/// paginated lists, which read their snapshot back through it.
struct EventHistory: Sendable {
    private var events: [StoredEvent] = []
    private var start = 0
    private(set) var capacity: Int
    /// The highest resourceVersion whose event was dropped (0 while none was): the state at any version from
    /// this one on can be rebuilt, older ones are compacted away, as etcd's compaction does.
    private(set) var compactedResourceVersion: Int64 = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var count: Int { events.count - start }

    /// The resourceVersion of the oldest event kept, `nil` when none is.
    var oldestResourceVersion: Int64? { start < events.count ? events[start].resourceVersion : nil }

    mutating func append(_ event: StoredEvent) {
        events.append(event)
        trim()
    }

    /// Changes how many events are kept; shrinking drops the oldest at once.
    mutating func setCapacity(_ capacity: Int) {
        self.capacity = max(1, capacity)
        trim()
    }

    private mutating func trim() {
        while count > capacity {
            compactedResourceVersion = events[start].resourceVersion
            start += 1
        }
        if start >= max(capacity, 64) || start == events.count {
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

    /// Whether every change after `resourceVersion` is still kept.
    func covers(_ resourceVersion: Int64) -> Bool {
        resourceVersion >= compactedResourceVersion
    }
}
