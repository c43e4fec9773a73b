import JSON

/// A request for `meta.k8s.io` Table output (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), as
/// `kubectl get` asks for it; `nil` from ``init(accept:query:)`` when plain objects are wanted.
struct TableRequest: Sendable, Equatable {
    /// `meta.k8s.io/v1` or `meta.k8s.io/v1beta1`, whichever the client listed first.
    var apiVersion: String
    /// `includeObject`: `None`, `Metadata` (the default: PartialObjectMetadata) or `Object`.
    var includeObject: String

    init?(accept: String?, query: QueryParameters) {
        guard let accept else { return nil }
        for range in accept.split(separator: ",") {
            var parameters: [String: String] = [:]
            let parts = range.split(separator: ";").map { String($0).trimmingWhitespace }
            guard parts.first == "application/json" else { continue }
            for part in parts.dropFirst() {
                let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
                if pair.count == 2 { parameters[pair[0]] = pair[1] }
            }
            guard parameters["as"] == "Table", parameters["g"] == "meta.k8s.io",
                let version = parameters["v"], version == "v1" || version == "v1beta1"
            else { continue }
            apiVersion = "meta.k8s.io/" + version
            includeObject = query["includeObject"].flatMap { $0.isEmpty ? nil : $0 } ?? "Metadata"
            return
        }
        return nil
    }

    /// A Table of Pods or Events, the way the API server prints them for `kubectl get pods` or `kubectl get
    /// events`.
    func table(
        _ objects: [JSONValue], of resource: APIResource, metadata: JSONValue, headers: Bool = true,
        now: Timestamp = .now()
    ) -> JSONValue {
        let columns = switch resource {
        case .pods: PodTable.columns
        case .events: EventTable.columns
        }
        return [
            "kind": "Table", "apiVersion": .string(apiVersion), "metadata": metadata,
            "columnDefinitions": headers ? columns : [],
            "rows": .array(objects.map { row($0, of: resource, now: now) }),
        ]
    }

    private func row(_ object: JSONValue, of resource: APIResource, now: Timestamp) -> JSONValue {
        let cells = switch resource {
        case .pods: PodTable.cells(object, now: now)
        case .events: EventTable.cells(object, now: now)
        }
        var row: JSONObject = ["cells": .array(cells)]
        switch includeObject {
        case "None":
            row["object"] = .null
        case "Object":
            var full = object
            full["kind"] = .string(resource.kind)
            full["apiVersion"] = "v1"
            row["object"] = full
        default:
            row["object"] = [
                "kind": "PartialObjectMetadata", "apiVersion": .string(apiVersion),
                "metadata": object["metadata"] ?? .object([:]),
            ]
        }
        return .object(row)
    }
}
