import JSON

/// The core/v1 Events the store keeps, by namespace and name, with their own change history for watches and
/// paginated lists.
///
/// Bounded as the API server bounds them: an Event leaves ``ttl`` after its last write (the API server's
/// `--event-ttl`, one hour by default), and when more than ``limit`` are kept the least recently written leaves
/// first. Both happen in ``removeExpired(now:)``, which the store calls on every write and once a second; each
/// leaving Event is a DELETED change for watchers. An Event's correlation entry leaves with it.
struct CoreEventLog: Sendable {
    struct Entry: Sendable {
        var object: JSONValue
        var correlationKey: String
        var resourceVersion: Int64
        var expires: ContinuousClock.Instant
    }

    private(set) var entries: [PodKey: Entry] = [:]
    /// The Event of each correlation key (see ``CoreEvent/correlationKey``), for counting repeats.
    private var byCorrelation: [String: PodKey] = [:]
    /// Every write, oldest first: an entry is stale once its Event was written again or removed. Expiry and the
    /// count limit both take from the front, so it holds at most the writes of the last ``ttl`` (and is compacted
    /// once half of it has been taken).
    private var writes: [(key: PodKey, resourceVersion: Int64)] = []
    private var start = 0
    var history: EventHistory
    let limit: Int
    let ttl: Duration

    init(limit: Int, ttl: Duration, historyWindow: Int) {
        self.limit = max(1, limit)
        self.ttl = ttl
        history = EventHistory(capacity: historyWindow)
    }

    var objects: [PodKey: JSONValue] { entries.mapValues(\.object) }

    /// The Event an identical occurrence was counted on.
    func entry(correlatedWith key: String) -> (key: PodKey, entry: Entry)? {
        guard let eventKey = byCorrelation[key], let entry = entries[eventKey] else { return nil }
        return (eventKey, entry)
    }

    /// Keeps `object` (already committed at `resourceVersion`) as the Event at `key`.
    mutating func store(
        _ object: JSONValue, at key: PodKey, correlationKey: String, resourceVersion: Int64,
        now: ContinuousClock.Instant
    ) {
        entries[key] = Entry(
            object: object, correlationKey: correlationKey, resourceVersion: resourceVersion, expires: now + ttl)
        byCorrelation[correlationKey] = key
        writes.append((key, resourceVersion))
    }

    /// Removes the Events whose TTL has passed and the least recently written beyond ``limit``; returns them.
    mutating func removeExpired(now: ContinuousClock.Instant) -> [JSONValue] {
        var removed: [JSONValue] = []
        while start < writes.count {
            let (key, version) = writes[start]
            guard let entry = entries[key], entry.resourceVersion == version else {
                start += 1
                continue
            }
            guard entries.count > limit || entry.expires <= now else { break }
            entries[key] = nil
            if byCorrelation[entry.correlationKey] == key { byCorrelation[entry.correlationKey] = nil }
            removed.append(entry.object)
            start += 1
        }
        if start >= 64 && start * 2 >= writes.count {
            writes.removeFirst(start)
            start = 0
        }
        return removed
    }
}
