import Foundation
import Hummingbird
import JSON
import PodSchema

extension APIResponder {
    /// A stored object and the `Warning` headers (unknown fields dropped) to answer with.
    typealias Written = (object: JSONValue, warnings: [String])

    /// The patch media types the API server accepts, in its error message's order.
    static let patchMediaTypes = [
        "application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml",
        "application/strategic-merge-patch+json",
    ]

    /// `POST /api/v1/namespaces/{ns}/pods`: the Pod as stored (201).
    func createPod(namespace: String, body: [UInt8], contentType: String?, query: QueryParameters) throws(APIError)
        -> Written
    {
        let validation = try FieldValidation(query, optionsKind: "CreateOptions")
        let value = try Self.podBody(body, contentType: contentType)
        let (pruned, warnings) = try validation.apply(to: value, strictPrefix: Self.podDecodePrefix)
        let pod = try PodDefaults.podForCreate(pruned, namespace: namespace, now: .now())
        return (try store.create(pod), warnings)
    }

    /// `PUT` a Pod (its spec and metadata, within what Pod updates allow) or its status; a stale
    /// `metadata.resourceVersion` is 409 Conflict, none at all an unconditional update.
    func updatePod(
        _ key: PodKey, status: Bool, body: [UInt8], contentType: String?, query: QueryParameters
    ) throws(APIError) -> Written {
        let validation = try FieldValidation(query, optionsKind: "UpdateOptions")
        let value = try Self.podBody(body, contentType: contentType)
        try PodDefaults.checkKind(value)
        let (pruned, warnings) = try validation.apply(to: value, strictPrefix: Self.podDecodePrefix)
        let updated = try store.update(key) { old throws(APIError) in
            if let version = pruned[path: "metadata", "resourceVersion"]?.stringValue, !version.isEmpty,
                version != old[path: "metadata", "resourceVersion"]?.stringValue
            {
                throw APIError.podConflict(key.name)
            }
            return try Self.replacing(old, with: pruned, status: status, key: key)
        }
        guard let updated else { throw APIError.podNotFound(key.name) }
        return (updated, warnings)
    }
    func deletePod(_ key: PodKey, query: QueryParameters, body: [UInt8]) throws(APIError) -> JSONValue {
        var options = JSONObject()
        if !body.isEmpty {
            guard let value = try? JSONValue(parsing: body), let object = value.objectValue else {
                throw APIError.badRequest("the body of the request was not a DeleteOptions object")
            }
            options = object
        } else if let grace = try query.int("gracePeriodSeconds") {
            options["gracePeriodSeconds"] = .int(grace)
        }
        let requestedGrace = options["gracePeriodSeconds"]?.intValue
        let preconditions = options["preconditions"]?.objectValue ?? [:]
        var gracePeriod: Int64 = 0
        var removeNow = false
        let now = Timestamp.now()
        let updated = try store.update(key) { pod throws(APIError) in
            if let uid = preconditions["uid"]?.stringValue, uid != pod[path: "metadata", "uid"]?.stringValue {
                throw APIError(
                    code: 409, reason: "Conflict",
                    message: "Precondition failed: UID in precondition: \(uid), UID in object meta: "
                        + (pod[path: "metadata", "uid"]?.stringValue ?? ""),
                    details: ["name": .string(key.name), "kind": "pods"])
            }
            if let version = preconditions["resourceVersion"]?.stringValue,
                version != pod[path: "metadata", "resourceVersion"]?.stringValue
            {
                throw APIError(
                    code: 409, reason: "Conflict",
                    message: "Precondition failed: ResourceVersion in precondition: \(version), ResourceVersion in "
                        + "object meta: " + (pod[path: "metadata", "resourceVersion"]?.stringValue ?? ""),
                    details: ["name": .string(key.name), "kind": "pods"])
            }
            var period = requestedGrace ?? pod[path: "spec", "terminationGracePeriodSeconds"]?.intValue ?? 30
            let phase = pod[path: "status", "phase"]?.stringValue
            if pod[path: "spec", "nodeName"]?.stringValue?.isEmpty ?? true { period = 0 }
            if phase == "Succeeded" || phase == "Failed" { period = 0 }
            if period < 0 { period = 1 }
            gracePeriod = period
            removeNow = period == 0
            if removeNow { return pod }
            if let current = pod[path: "metadata", "deletionGracePeriodSeconds"]?.intValue, current <= period {
                return pod
            }
            var pod = pod
            let deadline = Timestamp(seconds: now.seconds + period, nanoseconds: 0)
            pod[path: "metadata", "deletionTimestamp"] = .string(deadline.rfc3339)
            pod[path: "metadata", "deletionGracePeriodSeconds"] = .int(period)
            return pod
        }
        guard var pod = updated else { throw APIError.podNotFound(key.name) }
        let runtime = store.runtime(key)
        if removeNow, let runtime {
            pod = store.remove(key, uid: runtime.uid) ?? pod
        }
        runtime?.requestDeletion(gracePeriodSeconds: gracePeriod)
        return pod
    }

    /// `PATCH` a Pod (or its status) with a JSON merge patch or a strategic merge patch.
    func patchPod(
        _ key: PodKey, status: Bool, body: [UInt8], contentType: String?, query: QueryParameters
    ) throws(APIError) -> Written {
        let mediaType = contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        let strategic: Bool
        switch mediaType {
        case "application/merge-patch+json": strategic = false
        case "application/strategic-merge-patch+json": strategic = true
        case "application/json-patch+json": return try jsonPatchPod(key, status: status, body: body, query: query)
        default: throw APIError.unsupportedPatchType
        }
        let validation = try FieldValidation(query, optionsKind: "PatchOptions")
        let patch: JSONValue
        do {
            patch = try JSONValue(parsing: body)
        } catch {
            throw APIError.badRequest("error decoding patch: \(error)")
        }
        guard case .object = patch else {
            throw APIError.badRequest(
                "error decoding patch: json: cannot unmarshal \(patch.kindName) into Go value of type map[string]interface {}")
        }
        var warnings: [String] = []
        let updated = try store.update(key) { old throws(APIError) in
            let merged: JSONValue
            if strategic {
                do throws(StrategicMergeError) {
                    merged = try StrategicMerge.apply(patch, to: old)
                } catch {
                    throw APIError.badRequest(error.description)
                }
            } else {
                merged = MergePatch.apply(patch, to: old)
            }
            return try patched(key, old: old, merged: merged, status: status, validation: validation, warnings: &warnings)
        }
        guard let updated else { throw APIError.podNotFound(key.name) }
        return (updated, warnings)
    }

    /// The stored Pod after a patch produced `merged`: the precondition of a `metadata.resourceVersion` in the
    /// patch, unknown fields, and what the subresource may change.
    func patched(
        _ key: PodKey, old: JSONValue, merged: JSONValue, status: Bool, validation: FieldValidation,
        warnings: inout [String]
    ) throws(APIError) -> JSONValue {
        if let version = merged[path: "metadata", "resourceVersion"]?.stringValue,
            version != old[path: "metadata", "resourceVersion"]?.stringValue
        {
            throw APIError.podConflict(key.name)
        }
        let (pruned, found) = try validation.apply(to: merged, strictPrefix: "")
        warnings = found
        return try Self.replacing(old, with: pruned, status: status, key: key)
    }

    /// `old` with `new`'s status (the status subresource) or `new`'s metadata and spec (the main resource), as
    /// an update may change them.
    static func replacing(_ old: JSONValue, with new: JSONValue, status: Bool, key: PodKey) throws(APIError)
        -> JSONValue
    {
        var pod: JSONValue
        if status {
            pod = old
            pod["status"] = new["status"] ?? .object([:])
        } else {
            pod = new
            pod["status"] = old["status"]
            if pod[path: "metadata", "namespace"] == nil { pod[path: "metadata", "namespace"] = .string(key.namespace) }
        }
        try checkUpdate(pod, old: old, key: key)
        for field in ["creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "resourceVersion"] {
            pod[path: "metadata", field] = old[path: "metadata", field]
        }
        pod[path: "metadata", "uid"] = old[path: "metadata", "uid"]
        pod["kind"] = "Pod"
        pod["apiVersion"] = "v1"
        PodStatus.ordered(&pod)
        return PodDefaults.ordered(pod)
    }

    /// What precedes the decoding errors of a Pod body.
    static let podDecodePrefix = "Pod in version \"v1\" cannot be handled as a Pod: "

    /// The request body as JSON, for a JSON content type.
    static func podBody(_ body: [UInt8], contentType: String?) throws(APIError) -> JSONValue {
        if let contentType, !Self.isJSON(contentType) {
            throw APIError(
                code: 415, reason: "UnsupportedMediaType",
                message: "the body of the request was in an unknown format - accepted media types include: "
                    + "application/json, application/yaml, application/vnd.kubernetes.protobuf", details: nil)
        }
        do {
            return try JSONValue(parsing: body)
        } catch {
            throw APIError.badRequest(
                "the object provided is unrecognized (must be of type Pod): couldn't get version/kind; "
                    + "json parse error: \(error) (\(Self.summary(body)))")
        }
    }

    static func checkUpdate(_ pod: JSONValue, old: JSONValue, key: PodKey) throws(APIError) {
        if pod[path: "metadata", "name"]?.stringValue != key.name {
            throw APIError.badRequest(
                "the name of the object (\(pod[path: "metadata", "name"]?.stringValue ?? "")) does not match the "
                    + "name on the URL (\(key.name))")
        }
        if pod[path: "metadata", "namespace"]?.stringValue != key.namespace {
            throw APIError.badRequest(
                "the namespace of the provided object does not match the namespace sent on the request")
        }
        try PodDefaults.checkShape(pod)
        var errors: [FieldError] = []
        if let uid = pod[path: "metadata", "uid"], uid != old[path: "metadata", "uid"] {
            errors.append(.invalid("metadata.uid", uid, "field is immutable"))
        }
        func mutableParts(_ spec: JSONValue?) -> JSONValue? {
            guard var spec else { return nil }
            spec["activeDeadlineSeconds"] = nil
            spec["tolerations"] = nil
            if let containers = spec["containers"]?.arrayValue {
                spec["containers"] = .array(containers.map { container in
                    var container = container
                    container["image"] = nil
                    return container
                })
            }
            return spec
        }
        if mutableParts(pod["spec"]) != mutableParts(old["spec"]) {
            errors.append(FieldError(
                kind: .forbidden, field: "spec",
                detail: "pod updates may not change fields other than `spec.containers[*].image`,"
                    + "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
                    + "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set "
                    + "to 1 if it was previously negative)"))
        }
        if !errors.isEmpty { throw APIError.podInvalid(key.name, errors) }
    }

    static func isJSON(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        return mediaType == "application/json" || mediaType == "*/*" || mediaType?.isEmpty == true
    }

    /// The start of a body for an error message, as the API server quotes it.
    static func summary(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(30), as: UTF8.self)
        return body.count > 30 ? text + " ..." : text
    }
}

extension APIResponder {
    /// `PATCH` with a JSON patch (RFC 6902); a failed `test` is 422 `Invalid`.
    func jsonPatchPod(_ key: PodKey, status: Bool, body: [UInt8], query: QueryParameters) throws(APIError)
        -> Written
    {
        let validation = try FieldValidation(query, optionsKind: "PatchOptions")
        let patch: JSONValue
        do {
            patch = try JSONValue(parsing: body)
        } catch {
            throw APIError.badRequest("error decoding patch: \(error)")
        }
        guard case .array = patch else {
            throw APIError.badRequest("json: cannot unmarshal \(patch.kindName) into Go value of type jsonpatch.Patch")
        }
        var warnings: [String] = []
        let updated = try store.update(key) { old throws(APIError) in
            let merged: JSONValue
            do throws(JSONPatch.Failure) {
                merged = try JSONPatch.apply(patch, to: old)
            } catch {
                let cause = FieldError.invalid("patch", .string(patch.jsonString), error.message)
                throw APIError(
                    code: 422, reason: "Invalid", message: "\"\" is invalid: \(cause.description)",
                    details: ["causes": [cause.cause]])
            }
            return try patched(key, old: old, merged: merged, status: status, validation: validation, warnings: &warnings)
        }
        guard let updated else { throw APIError.podNotFound(key.name) }
        return (updated, warnings)
    }
}
