import Foundation

/// A core/v1 Event, the subset the controller reads: what happened to which object, how often and when.
///
/// Events recorded through `events.k8s.io/v1` show here with `eventTime` set and the older timestamps empty;
/// ``time`` reads whichever is there.
public struct CoreEvent: Sendable, Decodable, Equatable {
    /// The object an Event is about; `fieldPath` names a container (`spec.containers{base}`).
    public struct ObjectReference: Sendable, Decodable, Equatable {
        public var kind: String?
        public var namespace: String?
        public var name: String?
        public var uid: String?
        public var fieldPath: String?

        public init(
            kind: String? = nil, namespace: String? = nil, name: String? = nil, uid: String? = nil,
            fieldPath: String? = nil
        ) {
            self.kind = kind
            self.namespace = namespace
            self.name = name
            self.uid = uid
            self.fieldPath = fieldPath
        }
    }

    /// Who reported an Event: `kubelet` on a node, `default-scheduler`.
    public struct EventSource: Sendable, Decodable, Equatable {
        public var component: String?
        public var host: String?

        public init(component: String? = nil, host: String? = nil) {
            self.component = component
            self.host = host
        }
    }

    /// `Normal` or `Warning`.
    public var type: String?
    /// A short machine-readable cause, e.g. `Failed`, `BackOff`, `FailedScheduling`.
    public var reason: String?
    public var message: String?
    /// How many times it happened (the recorder counts repeats on one Event).
    public var count: Int?
    /// RFC 3339, seconds.
    public var firstTimestamp: String?
    /// RFC 3339, seconds: the latest occurrence.
    public var lastTimestamp: String?
    /// RFC 3339 with microseconds (`MicroTime`), set by `events.k8s.io/v1` recorders.
    public var eventTime: String?
    public var involvedObject: ObjectReference
    public var source: EventSource?

    public init(
        type: String? = nil, reason: String? = nil, message: String? = nil, count: Int? = nil,
        firstTimestamp: String? = nil, lastTimestamp: String? = nil, eventTime: String? = nil,
        involvedObject: ObjectReference, source: EventSource? = nil
    ) {
        self.type = type
        self.reason = reason
        self.message = message
        self.count = count
        self.firstTimestamp = firstTimestamp
        self.lastTimestamp = lastTimestamp
        self.eventTime = eventTime
        self.involvedObject = involvedObject
        self.source = source
    }

    /// When it last happened: `lastTimestamp`, else `eventTime`, else `firstTimestamp`; `nil` when none parses.
    public var time: Date? {
        for text in [lastTimestamp, eventTime, firstTimestamp] {
            guard let text, !text.isEmpty else { continue }
            if let date = (try? Date(text, strategy: Self.fractional)) ?? (try? Date(text, strategy: Self.whole)) {
                return date
            }
        }
        return nil
    }

    private static let whole = Date.ISO8601FormatStyle()
    private static let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
