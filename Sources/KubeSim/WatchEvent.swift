import JSON

/// One line of a watch stream: `{"type":"ADDED","object":{…}}`.
struct WatchEvent: Sendable {
    enum Kind: String, Sendable {
        case added = "ADDED"
        case modified = "MODIFIED"
        case deleted = "DELETED"
        case bookmark = "BOOKMARK"
        case error = "ERROR"
    }

    var kind: Kind
    var object: JSONValue

    /// The event as the API server frames it: compact JSON and a newline.
    var line: String {
        "{\"type\":\"\(kind.rawValue)\",\"object\":\(object.jsonString)}\n"
    }

    /// A BOOKMARK: an object (a Pod by default) with only its kind and `metadata.resourceVersion`.
    static func bookmark(_ resourceVersion: Int64, kind: String = "Pod") -> WatchEvent {
        let metadata: JSONValue = ["resourceVersion": .string(String(resourceVersion))]
        return WatchEvent(kind: .bookmark, object: ["kind": .string(kind), "apiVersion": "v1", "metadata": metadata])
    }
}

/// A change to a Pod (or an Event) as the store keeps it in its history: the object after, and before, the change.
struct StoredEvent: Sendable {
    var kind: WatchEvent.Kind
    var object: JSONValue
    var previous: JSONValue?
    var resourceVersion: Int64
    /// When the change was committed: how long the state before it has been superseded.
    var time: ContinuousClock.Instant = .now

    /// What a watcher with `filter` sees of this change, as the API server's watch cache decides it:
    /// a Pod that starts matching is ADDED, one that stops matching is DELETED (its old content, this version).
    func event(for filter: PodFilter) -> WatchEvent? {
        let matchesNow = kind != .deleted && filter.matches(object)
        let matchedBefore = previous.map(filter.matches) ?? false
        switch (matchedBefore, matchesNow) {
        case (false, true):
            return WatchEvent(kind: kind == .modified ? .added : kind, object: object)
        case (true, true):
            return WatchEvent(kind: .modified, object: object)
        case (true, false):
            var old = previous!
            old[path: "metadata", "resourceVersion"] = .string(String(resourceVersion))
            return WatchEvent(kind: .deleted, object: old)
        case (false, false):
            return nil
        }
    }
}
