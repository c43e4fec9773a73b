import Foundation
import JSON

/// One occurrence the simulated scheduler or kubelet reports about a Pod, as `record.EventRecorder.Eventf` gets
/// it: the Pod (and container), the type, reason and message, and who reports it. ``CoreEventLog`` turns it into
/// a core/v1 Event, or counts it on the Event of an identical earlier occurrence.
struct CoreEvent: Sendable, Equatable {
    enum EventType: String, Sendable {
        case normal = "Normal"
        case warning = "Warning"
    }

    /// The reporting component, `source.component` (and `reportingComponent`).
    enum Component: String, Sendable {
        case kubelet
        case scheduler = "default-scheduler"
    }

    var pod: PodKey
    var podUID: String
    /// The container, as `involvedObject.fieldPath` `spec.containers{name}`; `nil` for the Pod itself.
    var container: String?
    var type: EventType
    var reason: String
    var message: String
    var component: Component

    /// What makes two occurrences the same Event, as client-go's `getEventKey`: source, involved object, type,
    /// reason and message.
    var correlationKey: String {
        [
            component.rawValue, pod.namespace, pod.name, podUID, fieldPath ?? "", type.rawValue, reason, message,
        ].joined(separator: "\u{0}")
    }

    var fieldPath: String? { container.map { "spec.containers{\($0)}" } }

    /// The host in `source.host`: the node for the kubelet, none for the scheduler.
    var host: String? { component == .kubelet ? PodStatus.nodeName : nil }

    /// A new core/v1 Event for this occurrence, with `count` 1.
    ///
    /// - Parameters:
    ///   - name: The Event's name, `<pod>.<hex nanoseconds>`.
    ///   - podResourceVersion: The Pod's resourceVersion when it happened, if it is still stored.
    func object(name: String, podResourceVersion: String?, now: Timestamp) -> JSONValue {
        var involved: JSONObject = [
            "kind": "Pod", "namespace": .string(pod.namespace), "name": .string(pod.name), "uid": .string(podUID),
            "apiVersion": "v1",
        ]
        if let podResourceVersion { involved["resourceVersion"] = .string(podResourceVersion) }
        if let fieldPath { involved["fieldPath"] = .string(fieldPath) }
        var source: JSONObject = ["component": .string(component.rawValue)]
        if let host { source["host"] = .string(host) }
        let time = JSONValue.string(now.rfc3339)
        return [
            "kind": "Event", "apiVersion": "v1",
            "metadata": [
                "name": .string(name), "namespace": .string(pod.namespace),
                "uid": .string(UUID().uuidString.lowercased()), "creationTimestamp": time,
            ],
            "involvedObject": .object(involved), "reason": .string(reason), "message": .string(message),
            "source": .object(source), "firstTimestamp": time, "lastTimestamp": time, "count": 1,
            "type": .string(type.rawValue), "eventTime": .null, "reportingComponent": .string(component.rawValue),
            "reportingInstance": .string(host ?? ""),
        ]
    }

    /// `<pod>.<hex of the Unix time in nanoseconds>`, as the event recorder names Events.
    static func name(pod: String, at time: Timestamp) -> String {
        pod + "." + String(UInt64(max(0, time.seconds)) &* 1_000_000_000 &+ UInt64(max(0, time.nanoseconds)), radix: 16)
    }
}
