import JSON

/// The type of one watch event.
public enum WatchEventType: String, Codable, Sendable, Hashable {
    case added = "ADDED"
    case modified = "MODIFIED"
    case deleted = "DELETED"
    case bookmark = "BOOKMARK"
    case error = "ERROR"
}

/// One decoded line of a watch stream.
public enum WatchEvent<Object: Sendable>: Sendable {
    case added(Object)
    case modified(Object)
    case deleted(Object)
    /// A bookmark carries only the resourceVersion the watch has reached.
    case bookmark(resourceVersion: String)
    /// An ERROR event carries a `Status`, e.g. 410 Expired.
    case error(Status)
}

extension WatchEvent: Equatable where Object: Equatable {}
