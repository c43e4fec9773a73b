import JSON

/// The resources whose changes the store versions, keeps in its history and streams to watches: Pods and
/// core/v1 Events. (Leases share the resourceVersion counter but have no history.)
enum APIResource: Sendable, Equatable {
    case pods
    case events

    /// The `kind` of one object.
    var kind: String {
        switch self {
        case .pods: "Pod"
        case .events: "Event"
        }
    }

    /// The `kind` of a list.
    var listKind: String { kind + "List" }

    /// The field labels the API server accepts in a field selector, and how to read each from an object.
    var selectableFields: [String: @Sendable (JSONValue) -> String] {
        switch self {
        case .pods: Self.podFields
        case .events: Self.eventFields
        }
    }

    private static func string(_ path: String...) -> @Sendable (JSONValue) -> String {
        { object in
            var value: JSONValue? = object
            for key in path { value = value?[key] }
            return value?.stringValue ?? ""
        }
    }

    /// As `k8s.io/kubernetes/pkg/registry/core/pod.ToSelectableFields`.
    private static let podFields: [String: @Sendable (JSONValue) -> String] = [
        "metadata.name": string("metadata", "name"),
        "metadata.namespace": string("metadata", "namespace"),
        "spec.nodeName": string("spec", "nodeName"),
        "spec.restartPolicy": string("spec", "restartPolicy"),
        "spec.schedulerName": string("spec", "schedulerName"),
        "spec.serviceAccountName": string("spec", "serviceAccountName"),
        "status.phase": string("status", "phase"),
        "status.podIP": string("status", "podIP"),
        "status.nominatedNodeName": string("status", "nominatedNodeName"),
    ]

    /// As `k8s.io/kubernetes/pkg/registry/core/event.ToSelectableFields`: `source` falls back to the reporting
    /// controller.
    private static let eventFields: [String: @Sendable (JSONValue) -> String] = [
        "metadata.name": string("metadata", "name"),
        "metadata.namespace": string("metadata", "namespace"),
        "involvedObject.kind": string("involvedObject", "kind"),
        "involvedObject.namespace": string("involvedObject", "namespace"),
        "involvedObject.name": string("involvedObject", "name"),
        "involvedObject.uid": string("involvedObject", "uid"),
        "involvedObject.apiVersion": string("involvedObject", "apiVersion"),
        "involvedObject.resourceVersion": string("involvedObject", "resourceVersion"),
        "involvedObject.fieldPath": string("involvedObject", "fieldPath"),
        "reason": string("reason"),
        "reportingComponent": string("reportingComponent"),
        "source": { event in
            let component = event[path: "source", "component"]?.stringValue ?? ""
            return component.isEmpty ? event["reportingComponent"]?.stringValue ?? "" : component
        },
        "type": string("type"),
    ]
}
