import Foundation
import Hummingbird
import JSON

extension APIResponder {
    /// `POST /api/v1/namespaces/{ns}/pods`: the Pod as stored (201).
    func createPod(namespace: String, body: [UInt8], contentType: String?) throws(APIError) -> JSONValue {
        if let contentType, !Self.isJSON(contentType) {
            throw APIError(
                code: 415, reason: "UnsupportedMediaType",
                message: "the body of the request was in an unknown format - accepted media types include: "
                    + "application/json", details: nil)
        }
        let value: JSONValue
        do {
            value = try JSONValue(parsing: body)
        } catch {
            throw APIError.badRequest(
                "the object provided is unrecognized (must be of type Pod): couldn't get version/kind; "
                    + "json parse error: \(error) (\(Self.summary(body)))")
        }
        let pod = try PodDefaults.podForCreate(value, namespace: namespace, now: .now())
        return try store.create(pod)
    }

    /// `GET` on a Pod collection: a PodList, or a watch with `watch=true`.
    func listOrWatch(namespace: String?, query: QueryParameters) throws(APIError) -> Response {
        var filter = PodFilter(namespace: namespace)
        if let selector = query["labelSelector"] { filter.labels = try LabelSelector(parsing: selector) }
        if let selector = query["fieldSelector"] { filter.fields = try FieldSelector(parsing: selector) }
        if try query.bool("watch") == true {
            return try watch(filter, query: query)
        }
        let (items, resourceVersion) = store.list(filter)
        let list: JSONValue = [
            "kind": "PodList", "apiVersion": "v1",
            "metadata": ["resourceVersion": .string(String(resourceVersion))],
            "items": .array(items.map { pod in
                // Items of a list carry no kind or apiVersion of their own.
                var item = pod
                item["kind"] = nil
                item["apiVersion"] = nil
                return item
            }),
        ]
        return Self.json(list, code: 200)
    }

    /// `DELETE` a Pod: graceful (deletionTimestamp now, removal once its containers stop) unless it is unscheduled,
    /// already terminated, or the grace period is 0, which remove it at once, as the API server does.
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

    /// `PATCH` a Pod (or its status) with a JSON merge patch.
    func patchPod(_ key: PodKey, status: Bool, body: [UInt8], contentType: String?) throws(APIError) -> JSONValue {
        let mediaType = contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == "application/merge-patch+json" else { throw APIError.unsupportedPatchType }
        let patch: JSONValue
        do {
            patch = try JSONValue(parsing: body)
        } catch {
            throw APIError.badRequest("error decoding patch: \(error)")
        }
        guard case .object = patch else {
            throw APIError.badRequest("error decoding patch: a merge patch for a Pod must be a JSON object")
        }
        let updated = try store.update(key) { old throws(APIError) in
            if let version = patch[path: "metadata", "resourceVersion"]?.stringValue,
                version != old[path: "metadata", "resourceVersion"]?.stringValue
            {
                throw APIError.podConflict(key.name)
            }
            let merged = MergePatch.apply(patch, to: old)
            var pod: JSONValue
            if status {
                pod = old
                pod["status"] = merged["status"]
            } else {
                pod = merged
                pod["status"] = old["status"]
            }
            try Self.checkUpdate(pod, old: old, key: key)
            for field in ["creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "resourceVersion"] {
                pod[path: "metadata", field] = old[path: "metadata", field]
            }
            pod["kind"] = "Pod"
            pod["apiVersion"] = "v1"
            return PodDefaults.ordered(pod)
        }
        guard let updated else { throw APIError.podNotFound(key.name) }
        return updated
    }

    /// What the API server refuses in a Pod update: another name or namespace, a new uid, spec changes
    /// beyond images, `activeDeadlineSeconds` and tolerations, bad labels or annotations.
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
