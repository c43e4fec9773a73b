import Foundation
import Hummingbird
import JSON

/// `coordination.k8s.io/v1` Leases: create, get, list, update (optimistic concurrency) and delete.
extension APIResponder {
    static let leaseAPIVersion = "coordination.k8s.io/v1"

    /// `POST …/leases`: the Lease as stored (201).
    func createLease(namespace: String, body: [UInt8]) throws(APIError) -> JSONValue {
        var lease = try Self.leaseBody(body, namespace: namespace)
        var metadata = lease["metadata"]?.objectValue ?? JSONObject()
        if metadata["name"]?.stringValue?.isEmpty ?? true, let prefix = metadata["generateName"]?.stringValue,
            !prefix.isEmpty
        {
            metadata["name"] = .string(PodDefaults.generateName(prefix))
        }
        metadata["namespace"] = .string(namespace)
        metadata["uid"] = .string(UUID().uuidString.lowercased())
        metadata["creationTimestamp"] = .string(Timestamp.now().rfc3339)
        for key in ["resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"] {
            metadata[key] = nil
        }
        lease["metadata"] = .object(metadata)
        if lease["spec"] == nil || lease["spec"]?.isNull == true { lease["spec"] = .object([:]) }
        let name = metadata["name"]?.stringValue ?? ""
        let errors = Self.validateLease(lease)
        if !errors.isEmpty { throw APIError.leaseInvalid(name, errors) }
        return try store.createLease(lease)
    }

    /// `PUT …/leases/{name}`: replaces the Lease; a stale `metadata.resourceVersion` is 409 Conflict.
    func updateLease(_ key: PodKey, body: [UInt8]) throws(APIError) -> JSONValue {
        let lease = try Self.leaseBody(body, namespace: key.namespace)
        let bodyName = lease[path: "metadata", "name"]?.stringValue ?? ""
        guard bodyName == key.name else {
            throw APIError.badRequest(
                "the name of the object (\(bodyName)) does not match the name on the URL (\(key.name))")
        }
        let updated = try store.updateLease(key) { old throws(APIError) in
            if let version = lease[path: "metadata", "resourceVersion"]?.stringValue, !version.isEmpty,
                version != old[path: "metadata", "resourceVersion"]?.stringValue
            {
                throw APIError.leaseConflict(key.name)
            }
            var new = lease
            new["kind"] = "Lease"
            new["apiVersion"] = .string(Self.leaseAPIVersion)
            for field in ["uid", "creationTimestamp", "namespace"] {
                new[path: "metadata", field] = old[path: "metadata", field]
            }
            if new["spec"] == nil || new["spec"]?.isNull == true { new["spec"] = .object([:]) }
            let errors = Self.validateLease(new)
            if !errors.isEmpty { throw APIError.leaseInvalid(key.name, errors) }
            return new
        }
        guard let updated else { throw APIError.leaseNotFound(key.name) }
        return updated
    }

    /// `GET …/leases`: a LeaseList.
    func listLeases(namespace: String?, query: QueryParameters) throws(APIError) -> JSONValue {
        var labels = LabelSelector.everything
        if let selector = query["labelSelector"] { labels = try LabelSelector(parsing: selector) }
        let (items, version) = store.leases(namespace: namespace, labels: labels)
        return [
            "kind": "LeaseList", "apiVersion": .string(Self.leaseAPIVersion),
            "metadata": ["resourceVersion": .string(String(version))],
            "items": .array(items.map { lease in
                var item = lease
                item["kind"] = nil
                item["apiVersion"] = nil
                return item
            }),
        ]
    }

    /// `DELETE …/leases/{name}`: a `Status` of `Success`, as for every kind without graceful deletion.
    func deleteLease(_ key: PodKey) throws(APIError) -> JSONValue {
        guard let lease = store.deleteLease(key) else { throw APIError.leaseNotFound(key.name) }
        return [
            "kind": "Status", "apiVersion": "v1", "metadata": .object([:]), "status": "Success",
            "details": [
                "name": .string(key.name), "group": .string(APIError.leaseGroup), "kind": "leases",
                "uid": lease[path: "metadata", "uid"] ?? "",
            ],
        ]
    }

    /// The request body as a Lease of `namespace`, with its kind, apiVersion and field types checked.
    private static func leaseBody(_ body: [UInt8], namespace: String) throws(APIError) -> JSONValue {
        guard let value = try? JSONValue(parsing: body), case .object = value else {
            throw APIError.badRequest(
                "the object provided is unrecognized (must be of type Lease): couldn't get version/kind; json parse "
                    + "error: \(summary(body))")
        }
        if let apiVersion = value["apiVersion"]?.stringValue, !apiVersion.isEmpty, apiVersion != leaseAPIVersion {
            throw APIError.badRequest(
                "the API version in the data (\(apiVersion)) does not match the expected API version "
                    + "(\(leaseAPIVersion))")
        }
        if let kind = value["kind"]?.stringValue, !kind.isEmpty, kind != "Lease" {
            throw APIError.badRequest(
                "\(kind) in version \"v1\" cannot be handled as a Lease: the object is not a Lease")
        }
        if let bodyNamespace = value[path: "metadata", "namespace"]?.stringValue, !bodyNamespace.isEmpty,
            bodyNamespace != namespace
        {
            throw APIError.badRequest(
                "the namespace of the provided object does not match the namespace sent on the request")
        }
        func expect(_ field: JSONValue?, _ kind: String, _ name: String, _ goType: String) throws(APIError) {
            guard let field, !field.isNull, field.kindName != kind else { return }
            if kind == "integer", field.intValue != nil { return }
            throw APIError.badRequest(
                "Lease in version \"v1\" cannot be handled as a Lease: json: cannot unmarshal \(field.kindName) into "
                    + "Go struct field \(name) of type \(goType)")
        }
        try expect(value["metadata"], "object", "Lease.metadata", "v1.ObjectMeta")
        try expect(value[path: "metadata", "name"], "string", "ObjectMeta.metadata.name", "string")
        try expect(value[path: "metadata", "labels"], "object", "ObjectMeta.metadata.labels", "map[string]string")
        try expect(value["spec"], "object", "Lease.spec", "v1.LeaseSpec")
        try expect(value[path: "spec", "holderIdentity"], "string", "LeaseSpec.spec.holderIdentity", "string")
        try expect(value[path: "spec", "leaseDurationSeconds"], "integer", "LeaseSpec.spec.leaseDurationSeconds",
                   "int32")
        try expect(value[path: "spec", "leaseTransitions"], "integer", "LeaseSpec.spec.leaseTransitions", "int32")
        for field in ["acquireTime", "renewTime"] {
            try expect(value[path: "spec", field], "string", "LeaseSpec.spec.\(field)", "v1.MicroTime")
            if let text = value[path: "spec", field]?.stringValue, Timestamp(rfc3339: text) == nil {
                throw APIError.badRequest(
                    "Lease in version \"v1\" cannot be handled as a Lease: parsing time \(text.quoted) as "
                        + "\"2006-01-02T15:04:05.000000Z07:00\": cannot parse \(text.quoted)")
            }
        }
        var lease = value
        lease["kind"] = "Lease"
        lease["apiVersion"] = .string(leaseAPIVersion)
        return lease
    }

    /// The validation errors of a Lease: its name, and the spec's numbers.
    static func validateLease(_ lease: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let name = lease[path: "metadata", "name"]?.stringValue ?? ""
        if name.isEmpty {
            errors.append(.required("metadata.name", "name or generateName is required"))
        } else {
            for problem in Validation.dns1123SubdomainProblems(name) {
                errors.append(.invalid("metadata.name", .string(name), problem))
            }
        }
        if let duration = lease[path: "spec", "leaseDurationSeconds"]?.intValue, duration <= 0 {
            errors.append(.invalid("spec.leaseDurationSeconds", .int(duration), "must be greater than 0"))
        }
        if let transitions = lease[path: "spec", "leaseTransitions"]?.intValue, transitions < 0 {
            errors.append(.invalid("spec.leaseTransitions", .int(transitions), "must be greater than or equal to 0"))
        }
        return errors
    }
}

extension APIResponder {
    /// `PATCH …/leases/{name}`: merge, strategic merge (a Lease has no merged lists, so the same) or JSON patch.
    func patchLease(_ key: PodKey, body: [UInt8], contentType: String?) throws(APIError) -> JSONValue {
        let mediaType = contentType?.split(separator: ";").first.map { String($0).trimmingWhitespace.lowercased() }
        guard let mediaType, ["application/merge-patch+json", "application/strategic-merge-patch+json",
                              "application/json-patch+json"].contains(mediaType)
        else { throw APIError.unsupportedPatchType }
        guard let patch = try? JSONValue(parsing: body) else {
            throw APIError.badRequest("error decoding patch: \(Self.summary(body))")
        }
        let updated = try store.updateLease(key) { old throws(APIError) in
            var merged: JSONValue
            if mediaType == "application/json-patch+json" {
                do throws(JSONPatch.Failure) {
                    merged = try JSONPatch.apply(patch, to: old)
                } catch {
                    let cause = FieldError.invalid("patch", .string(patch.jsonString), error.message)
                    throw APIError(
                        code: 422, reason: "Invalid", message: "\"\" is invalid: \(cause.description)",
                        details: ["causes": [cause.cause]])
                }
            } else {
                guard case .object = patch else {
                    throw APIError.badRequest("error decoding patch: a patch for a Lease must be a JSON object")
                }
                merged = MergePatch.apply(patch, to: old)
            }
            if let version = merged[path: "metadata", "resourceVersion"]?.stringValue,
                version != old[path: "metadata", "resourceVersion"]?.stringValue
            {
                throw APIError.leaseConflict(key.name)
            }
            for field in ["uid", "creationTimestamp", "namespace", "name"] {
                merged[path: "metadata", field] = old[path: "metadata", field]
            }
            merged["kind"] = "Lease"
            merged["apiVersion"] = .string(Self.leaseAPIVersion)
            let errors = Self.validateLease(merged)
            if !errors.isEmpty { throw APIError.leaseInvalid(key.name, errors) }
            return merged
        }
        guard let updated else { throw APIError.leaseNotFound(key.name) }
        return updated
    }
}
