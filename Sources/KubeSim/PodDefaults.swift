import Foundation
import JSON

/// What the API server does to a Pod on create: decode checks, validation, and defaulting.
enum PodDefaults {
    /// The Pod as stored on create, before the store assigns its resourceVersion.
    ///
    /// - Parameters:
    ///   - body: The request body, already parsed.
    ///   - namespace: The namespace in the URL.
    /// - Throws: ``APIError`` 400 for a body that is not a v1 Pod or names another namespace, 422 `Invalid`.
    static func podForCreate(_ body: JSONValue, namespace: String, now: Timestamp) throws(APIError) -> JSONValue {
        guard case .object = body else {
            throw APIError.badRequest(
                "the object provided is unrecognized (must be of type Pod): couldn't get version/kind; "
                    + "json parse error: json: cannot unmarshal \(body.kindName) into Go value of type struct")
        }
        try checkKind(body)
        var pod = body
        pod["kind"] = "Pod"
        pod["apiVersion"] = "v1"
        if let bodyNamespace = pod[path: "metadata", "namespace"]?.stringValue, !bodyNamespace.isEmpty,
            bodyNamespace != namespace
        {
            throw APIError.badRequest(
                "the namespace of the provided object does not match the namespace sent on the request")
        }
        try checkShape(pod)

        var metadata = pod["metadata"]?.objectValue ?? JSONObject()
        if metadata["name"]?.stringValue?.isEmpty ?? true, let prefix = metadata["generateName"]?.stringValue,
            !prefix.isEmpty
        {
            metadata["name"] = .string(generateName(prefix))
        }
        metadata["namespace"] = .string(namespace)
        metadata["uid"] = .string(UUID().uuidString.lowercased())
        metadata["creationTimestamp"] = .string(now.rfc3339)
        for key in ["resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"] {
            metadata[key] = nil
        }
        pod["metadata"] = .object(metadata)

        let errors = validate(pod)
        if !errors.isEmpty {
            throw APIError.podInvalid(metadata["name"]?.stringValue ?? "", errors)
        }
        applySpecDefaults(&pod)
        pod["status"] = ["phase": "Pending", "qosClass": .string(qosClass(pod))]
        return ordered(pod)
    }

    static func checkKind(_ body: JSONValue) throws(APIError) {
        if let apiVersion = body["apiVersion"], apiVersion.stringValue != "v1", apiVersion.stringValue != "" {
            throw APIError.badRequest(
                "the API version in the data (\(apiVersion.stringValue ?? apiVersion.jsonString)) does not match "
                    + "the expected API version (v1)")
        }
        if let kind = body["kind"], kind.stringValue != "Pod", kind.stringValue != "" {
            throw APIError.badRequest(
                "\(kind.stringValue ?? kind.jsonString) in version \"v1\" cannot be handled as a Pod: "
                    + "the object is not a Pod")
        }
    }

    /// Fields of the wrong JSON type fail decoding on the real server (400), before validation.
    static func checkShape(_ pod: JSONValue) throws(APIError) {
        func expect(_ value: JSONValue?, _ kind: String, _ field: String, _ goType: String) throws(APIError) {
            guard let value, !value.isNull, value.kindName != kind else { return }
            throw APIError.badRequest(
                "Pod in version \"v1\" cannot be handled as a Pod: json: cannot unmarshal \(value.kindName) "
                    + "into Go struct field \(field) of type \(goType)")
        }
        try expect(pod["metadata"], "object", "Pod.metadata", "v1.ObjectMeta")
        try expect(pod[path: "metadata", "name"], "string", "ObjectMeta.metadata.name", "string")
        try expect(pod[path: "metadata", "labels"], "object", "ObjectMeta.metadata.labels", "map[string]string")
        try expect(pod[path: "metadata", "annotations"], "object", "ObjectMeta.metadata.annotations",
                   "map[string]string")
        for (key, value) in pod[path: "metadata", "labels"]?.objectValue ?? [:] {
            try expect(value, "string", "ObjectMeta.metadata.labels[\(key)]", "string")
        }
        for (key, value) in pod[path: "metadata", "annotations"]?.objectValue ?? [:] {
            try expect(value, "string", "ObjectMeta.metadata.annotations[\(key)]", "string")
        }
        try expect(pod["spec"], "object", "Pod.spec", "v1.PodSpec")
        try expect(pod[path: "spec", "containers"], "array", "PodSpec.spec.containers", "[]v1.Container")
        for container in pod[path: "spec", "containers"]?.arrayValue ?? [] {
            try expect(container, "object", "PodSpec.spec.containers", "v1.Container")
            try expect(container["name"], "string", "Container.spec.containers.name", "string")
            try expect(container["image"], "string", "Container.spec.containers.image", "string")
            try expect(container["command"], "array", "Container.spec.containers.command", "[]string")
            try expect(container["args"], "array", "Container.spec.containers.args", "[]string")
            try expect(container["env"], "array", "Container.spec.containers.env", "[]v1.EnvVar")
        }
    }

    /// The validation errors of a Pod about to be created (name, containers).
    static func validate(_ pod: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let name = pod[path: "metadata", "name"]?.stringValue ?? ""
        if name.isEmpty {
            errors.append(.required("metadata.name", "name or generateName is required"))
        } else {
            for problem in Validation.dns1123SubdomainProblems(name) {
                errors.append(.invalid("metadata.name", .string(name), problem))
            }
        }
        let containers = pod[path: "spec", "containers"]?.arrayValue ?? []
        if containers.isEmpty { errors.append(.required("spec.containers")) }
        var seen: Set<String> = []
        for (index, container) in containers.enumerated() {
            let field = "spec.containers[\(index)]"
            let containerName = container["name"]?.stringValue ?? ""
            if containerName.isEmpty {
                errors.append(.required(field + ".name"))
            } else {
                for problem in Validation.dns1123LabelProblems(containerName) {
                    errors.append(.invalid(field + ".name", .string(containerName), problem))
                }
                if !seen.insert(containerName).inserted {
                    errors.append(.duplicate(field + ".name", .string(containerName)))
                }
            }
            if container["image"]?.stringValue?.isEmpty ?? true {
                errors.append(.required(field + ".image"))
            }
        }
        return errors
    }

    /// `prefix` + five random characters from the API server's alphabet (no vowels, no confusable digits).
    static func generateName(_ prefix: String) -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        let base = prefix.count > 58 ? String(prefix.prefix(58)) : prefix
        return base + String((0..<5).map { _ in alphabet.randomElement()! })
    }

    private static func applySpecDefaults(_ pod: inout JSONValue) {
        var spec = pod["spec"] ?? .object([:])
        let defaults: [(String, JSONValue)] = [
            ("restartPolicy", "Always"), ("terminationGracePeriodSeconds", 30), ("dnsPolicy", "ClusterFirst"),
            ("securityContext", .object([:])), ("schedulerName", "default-scheduler"),
        ]
        for (key, value) in defaults where spec[key] == nil || spec[key]?.isNull == true {
            spec[key] = value
        }
        if let containers = spec["containers"]?.arrayValue {
            spec["containers"] = .array(containers.map { container in
                var container = container
                if container["resources"] == nil { container["resources"] = .object([:]) }
                if container["terminationMessagePath"] == nil {
                    container["terminationMessagePath"] = "/dev/termination-log"
                }
                if container["terminationMessagePolicy"] == nil { container["terminationMessagePolicy"] = "File" }
                if container["imagePullPolicy"] == nil {
                    let image = container["image"]?.stringValue ?? ""
                    let lastPart = image.split(separator: "/").last ?? ""
                    let hasTag = lastPart.contains(":") && !image.hasSuffix(":latest")
                    container["imagePullPolicy"] = hasTag || image.contains("@") ? "IfNotPresent" : "Always"
                }
                return container
            })
        }
        pod["spec"] = spec
    }

    /// `Guaranteed` when every container limits cpu and memory with requests equal to limits, `BestEffort`
    /// when none asks for anything, `Burstable` otherwise.
    static func qosClass(_ pod: JSONValue) -> String {
        let containers = pod[path: "spec", "containers"]?.arrayValue ?? []
        var any = false
        var guaranteed = true
        for container in containers {
            let requests = container[path: "resources", "requests"]?.objectValue ?? [:]
            let limits = container[path: "resources", "limits"]?.objectValue ?? [:]
            for resource in ["cpu", "memory"] {
                if requests[resource] != nil || limits[resource] != nil { any = true }
                guard let limit = limits[resource] else {
                    guaranteed = false
                    continue
                }
                if let request = requests[resource], request != limit { guaranteed = false }
            }
        }
        if !any { return "BestEffort" }
        return guaranteed ? "Guaranteed" : "Burstable"
    }

    private static let topLevelOrder = ["kind", "apiVersion", "metadata", "spec", "status"]
    private static let metadataOrder = [
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers",
        "managedFields",
    ]

    /// The Pod with its top-level and metadata keys in the API server's order; unknown keys keep theirs, after.
    /// Every commit passes through here, and a stored Pod is almost always in order already: then nothing is copied.
    static func ordered(_ pod: JSONValue) -> JSONValue {
        var pod = reorder(pod, topLevelOrder)
        if let metadata = pod["metadata"], !isOrdered(metadata, metadataOrder) {
            pod["metadata"] = reorder(metadata, metadataOrder)
        }
        return pod
    }

    static func reorder(_ value: JSONValue, _ order: [String]) -> JSONValue {
        guard let object = value.objectValue, !isOrdered(value, order) else { return value }
        var result = JSONObject()
        for key in order { if let field = object[key] { result[key] = field } }
        for (key, field) in object where result[key] == nil { result[key] = field }
        return .object(result)
    }

    /// Whether the keys of `value` are those of `order` in that order, then the unknown ones: what ``reorder(_:_:)``
    /// would leave as it is. String comparisons against a short list, no hashing.
    static func isOrdered(_ value: JSONValue, _ order: [String]) -> Bool {
        guard let object = value.objectValue else { return true }
        var next = order.startIndex
        var unknownSeen = false
        for key in object.keys {
            if let position = order[next...].firstIndex(of: key) {
                if unknownSeen { return false }
                next = order.index(after: position)
            } else if order[..<next].contains(key) {
                return false
            } else {
                unknownSeen = true
            }
        }
        return true
    }
}
