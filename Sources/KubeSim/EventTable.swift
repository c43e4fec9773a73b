import JSON

/// The columns and cells of a core/v1 Event in a Table, as `k8s.io/kubernetes/pkg/printers/internalversion`
/// prints them (`printEvent`, always wide on the server): LAST SEEN, TYPE, REASON, OBJECT, MESSAGE, then
/// (`-o wide`) SUBOBJECT, SOURCE, FIRST SEEN, COUNT, NAME.
enum EventTable {
    static let columns: JSONValue = [
        PodTable.column("Last Seen", "The time at which the most recent occurrence of this event was recorded."),
        PodTable.column("Type", "Type of this event (Normal, Warning), new types could be added in the future"),
        PodTable.column("Reason", "This should be a short, machine understandable string that gives the reason for "
            + "the transition into the object's current status."),
        PodTable.column("Object", "The object that this event is about."),
        PodTable.column("Subobject", priority: 1, "If referring to a piece of an object instead of an entire "
            + "object, this string should contain a valid JSON/Go field access statement, such as "
            + "desiredState.manifest.containers[2]."),
        PodTable.column("Source", priority: 1, "The component reporting this event. Should be a short machine "
            + "understandable string."),
        PodTable.column("Message", "A human-readable description of the status of this operation."),
        PodTable.column("First Seen", priority: 1, "The time at which the event was first recorded. (Time of "
            + "server receipt is in TypeMeta.)"),
        PodTable.column("Count", priority: 1, "The number of times this event has occurred."),
        PodTable.column("Name", format: "name", priority: 1, PodTable.nameDescription),
    ]

    static func cells(_ event: JSONValue, now: Timestamp) -> [JSONValue] {
        func since(_ field: String) -> String? {
            guard let text = event[field]?.stringValue, let time = Timestamp(rfc3339: text) else { return nil }
            return PodTable.humanDuration(seconds: now.seconds - time.seconds)
        }
        let firstSeen = since("firstTimestamp") ?? since("eventTime") ?? "<unknown>"
        let lastSeen = since("lastTimestamp") ?? firstSeen
        let count = event["count"]?.intValue ?? 0
        let kind = (event[path: "involvedObject", "kind"]?.stringValue ?? "").lowercased()
        let name = event[path: "involvedObject", "name"]?.stringValue ?? ""
        func firstNonEmpty(_ values: JSONValue?...) -> String {
            values.lazy.compactMap { $0?.stringValue }.first { !$0.isEmpty } ?? ""
        }
        let component = firstNonEmpty(event[path: "source", "component"], event["reportingComponent"])
        let instance = firstNonEmpty(event[path: "source", "host"], event["reportingInstance"])
        return [
            .string(lastSeen), event["type"] ?? "", event["reason"] ?? "",
            .string(name.isEmpty ? kind : kind + "/" + name), event[path: "involvedObject", "fieldPath"] ?? "",
            .string(instance.isEmpty ? component : component + ", " + instance),
            .string((event["message"]?.stringValue ?? "").trimmingWhitespace), .string(firstSeen),
            .int(count == 0 ? 1 : count), event[path: "metadata", "name"] ?? "",
        ]
    }
}
