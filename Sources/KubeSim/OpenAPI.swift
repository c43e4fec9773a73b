import JSON
import PodSchema

/// The OpenAPI v3 documents `kubectl apply` reads: the index at `/openapi/v3`, and one document per group version
/// (`/openapi/v3/api/v1?hash=…`, `/openapi/v3/apis/coordination.k8s.io/v1?hash=…`) whose POST and PATCH
/// operations declare the `fieldValidation` query parameter, so that kubectl leaves validation to the server,
/// and whose component schemas (made from ``PodSchema``) carry the patch strategies and merge keys kubectl
/// computes its strategic merge patches with.
enum OpenAPI {
    /// A group version's document and the hash its URL carries.
    struct Document: Sendable {
        var json: JSONValue
        var hash: String
    }

    static let core = document(
        title: "v1", kind: "Pod", group: "", version: "v1", root: "Pod", plural: "pods",
        base: "/api/v1", subresources: ["status"])
    static let coordination = document(
        title: "coordination.k8s.io/v1", kind: "Lease", group: "coordination.k8s.io", version: "v1", root: "Lease",
        plural: "leases", base: "/apis/coordination.k8s.io/v1", subresources: [])

    /// The document served at `/openapi/v3/<path>`.
    static func document(at path: String) -> Document? {
        switch path {
        case "api/v1": core
        case "apis/coordination.k8s.io/v1": coordination
        default: nil
        }
    }

    static let index: JSONValue = [
        "paths": [
            "api/v1": ["serverRelativeURL": .string("/openapi/v3/api/v1?hash=" + core.hash)],
            "apis/coordination.k8s.io/v1": [
                "serverRelativeURL": .string("/openapi/v3/apis/coordination.k8s.io/v1?hash=" + coordination.hash),
            ],
        ],
    ]

    // MARK: - Paths

    private static func document(
        title: String, kind: String, group: String, version: String, root: String, plural: String, base: String,
        subresources: [String]
    ) -> Document {
        let gvk: JSONValue = ["group": .string(group), "kind": .string(kind), "version": .string(version)]
        let reference = ref(componentName(root))
        func operation(
            _ id: String, action: String, parameters: [JSONValue], body: [String]? = nil, code: String = "200"
        ) -> JSONValue {
            var object: JSONObject = [
                "tags": .array([.string(title)]), "operationId": .string(id),
                "parameters": .array(parameters),
            ]
            if let body {
                var content = JSONObject()
                for type in body { content[type] = ["schema": body == ["application/json", "application/yaml"]
                    ? reference : ["$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"]] }
                object["requestBody"] = ["content": .object(content), "required": true]
            }
            var responses: JSONObject = [code: ["description": "OK", "content": ["application/json": ["schema": reference]]]]
            if code != "200" { responses["200"] = ["description": "OK", "content": ["application/json": ["schema": reference]]] }
            responses["401"] = ["description": "Unauthorized"]
            object["responses"] = .object(responses)
            object["x-kubernetes-action"] = .string(action)
            object["x-kubernetes-group-version-kind"] = gvk
            return .object(object)
        }
        let patchTypes = [
            "application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json",
            "application/apply-patch+yaml",
        ]
        let writes = [query("dryRun", "string"), query("fieldManager", "string"), query("fieldValidation", "string")]
        let patchParameters = writes + [query("force", "boolean")]
        let listParameters = [
            "allowWatchBookmarks", "continue", "fieldSelector", "labelSelector", "limit", "resourceVersion",
            "resourceVersionMatch", "sendInitialEvents", "timeoutSeconds", "watch",
        ].map { query($0, ["allowWatchBookmarks", "sendInitialEvents", "watch"].contains($0) ? "boolean"
            : ["limit", "timeoutSeconds"].contains($0) ? "integer" : "string") }
        let namespace = pathParameter("namespace")
        let name = pathParameter("name")
        let prefix = group.isEmpty ? "CoreV1" : "CoordinationV1"

        var paths = JSONObject()
        paths["\(base)/namespaces/{namespace}/\(plural)"] = [
            "get": operation("list\(prefix)Namespaced\(kind)", action: "list", parameters: listParameters),
            "post": operation(
                "create\(prefix)Namespaced\(kind)", action: "post", parameters: writes,
                body: ["application/json", "application/yaml"], code: "201"),
            "parameters": [namespace, query("pretty", "string")],
        ]
        paths["\(base)/namespaces/{namespace}/\(plural)/{name}"] = [
            "get": operation("read\(prefix)Namespaced\(kind)", action: "get", parameters: []),
            "put": operation(
                "replace\(prefix)Namespaced\(kind)", action: "put", parameters: writes,
                body: ["application/json", "application/yaml"]),
            "patch": operation(
                "patch\(prefix)Namespaced\(kind)", action: "patch", parameters: patchParameters, body: patchTypes),
            "delete": operation(
                "delete\(prefix)Namespaced\(kind)", action: "delete",
                parameters: [query("dryRun", "string"), query("gracePeriodSeconds", "integer"),
                             query("propagationPolicy", "string")]),
            "parameters": [name, namespace, query("pretty", "string")],
        ]
        for subresource in subresources {
            paths["\(base)/namespaces/{namespace}/\(plural)/{name}/\(subresource)"] = [
                "get": operation("read\(prefix)Namespaced\(kind)Status", action: "get", parameters: []),
                "put": operation(
                    "replace\(prefix)Namespaced\(kind)Status", action: "put", parameters: writes,
                    body: ["application/json", "application/yaml"]),
                "patch": operation(
                    "patch\(prefix)Namespaced\(kind)Status", action: "patch", parameters: patchParameters,
                    body: patchTypes),
                "parameters": [name, namespace, query("pretty", "string")],
            ]
        }
        paths["\(base)/\(plural)"] = [
            "get": operation("list\(prefix)\(kind)ForAllNamespaces", action: "list", parameters: listParameters),
        ]

        var schemas = components(root: root == "Lease" ? "ObjectMeta" : root)
        if root == "Lease" {
            schemas[componentName("Lease")] = leaseSchema
            schemas[componentName("LeaseSpec")] = leaseSpecSchema
            schemas[componentName("MicroTime")] = ["type": "string", "format": "date-time"]
        }
        var gvkSchema = schemas[componentName(root)] ?? .object([:])
        gvkSchema["x-kubernetes-group-version-kind"] = [gvk]
        schemas[componentName(root)] = gvkSchema
        schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Patch"] = [
            "description": "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.",
            "type": "object",
        ]

        let json: JSONValue = [
            "openapi": "3.0.0", "info": ["title": "Kubernetes", "version": "v1.37.0-kubesim"],
            "paths": .object(paths), "components": ["schemas": .object(schemas)],
        ]
        return Document(json: json, hash: hash(json.jsonString))
    }

    private static func query(_ name: String, _ type: String) -> JSONValue {
        ["name": .string(name), "in": "query", "schema": ["type": .string(type), "uniqueItems": true]]
    }

    private static func pathParameter(_ name: String) -> JSONValue {
        ["name": .string(name), "in": "path", "required": true, "schema": ["type": "string", "uniqueItems": true]]
    }

    // MARK: - Component schemas

    private static let metaTypes: Set<String> = ["ObjectMeta", "ManagedFieldsEntry", "OwnerReference", "Time",
                                                 "MicroTime", "FieldsV1"]

    static func componentName(_ type: String) -> String {
        switch type {
        case "Quantity": "io.k8s.apimachinery.pkg.api.resource.Quantity"
        case "IntOrString": "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
        case "Lease", "LeaseSpec": "io.k8s.api.coordination.v1.\(type)"
        case _ where metaTypes.contains(type): "io.k8s.apimachinery.pkg.apis.meta.v1.\(type)"
        default: "io.k8s.api.core.v1.\(type)"
        }
    }

    private static func ref(_ component: String) -> JSONValue {
        ["$ref": .string("#/components/schemas/" + component)]
    }

    /// Every type reachable from `root` in ``PodSchema``, as OpenAPI schemas.
    private static func components(root: String) -> JSONObject {
        var schemas = JSONObject()
        var pending = [root]
        var seen: Set<String> = [root]
        while let name = pending.popLast() {
            guard let type = PodSchema.type(named: name) else { continue }
            var properties = JSONObject()
            for field in type.fields {
                var (schema, referenced) = schemaFor(field.type)
                if let values = field.allowedValues, case .string = field.type { schema["enum"] = .array(values.map { .string($0) }) }
                if field.patchStrategy.contains(.merge) || field.patchStrategy.contains(.retainKeys)
                    || field.patchStrategy.contains(.replace)
                {
                    var strategies: [String] = []
                    if field.patchStrategy.contains(.merge) { strategies.append("merge") }
                    if field.patchStrategy.contains(.retainKeys) { strategies.append("retainKeys") }
                    if field.patchStrategy.contains(.replace) { strategies.append("replace") }
                    schema["x-kubernetes-patch-strategy"] = .string(strategies.joined(separator: ","))
                }
                if let key = field.mergeKey { schema["x-kubernetes-patch-merge-key"] = .string(key) }
                properties[field.name] = schema
                for child in referenced where seen.insert(child).inserted { pending.append(child) }
            }
            var schema: JSONObject = ["type": "object", "properties": .object(properties)]
            if !type.required.isEmpty { schema["required"] = .array(type.required.map { .string($0) }) }
            schemas[componentName(name)] = .object(schema)
        }
        schemas[componentName("Quantity")] = ["type": "string"]
        schemas[componentName("IntOrString")] = ["type": "string", "format": "int-or-string"]
        schemas[componentName("Time")] = ["type": "string", "format": "date-time"]
        schemas[componentName("FieldsV1")] = ["type": "object"]
        return schemas
    }

    /// The schema of a value, and the object types it refers to.
    private static func schemaFor(_ type: PodSchema.ValueType) -> (JSONValue, [String]) {
        switch type {
        case .string: return (["type": "string"], [])
        case .integer(let bits): return (["type": "integer", "format": .string("int\(bits)")], [])
        case .number: return (["type": "number", "format": "double"], [])
        case .boolean: return (["type": "boolean"], [])
        case .quantity: return (ref(componentName("Quantity")), [])
        case .intOrString: return (ref(componentName("IntOrString")), [])
        case .time: return (ref(componentName("Time")), [])
        case .bytes: return (["type": "string", "format": "byte"], [])
        case .freeform: return (ref(componentName("FieldsV1")), [])
        case .object(let name): return (ref(componentName(name)), [name])
        case .list(let element):
            let (items, referenced) = schemaFor(element)
            return (["type": "array", "items": items], referenced)
        case .map(let value, _):
            let (values, referenced) = schemaFor(value)
            return (["type": "object", "additionalProperties": values], referenced)
        }
    }

    private static let leaseSchema: JSONValue = [
        "type": "object",
        "properties": [
            "apiVersion": ["type": "string"], "kind": ["type": "string"],
            "metadata": ref(componentName("ObjectMeta")), "spec": ref(componentName("LeaseSpec")),
        ],
    ]

    private static let leaseSpecSchema: JSONValue = [
        "type": "object",
        "properties": [
            "acquireTime": ref(componentName("MicroTime")), "holderIdentity": ["type": "string"],
            "leaseDurationSeconds": ["type": "integer", "format": "int32"],
            "leaseTransitions": ["type": "integer", "format": "int32"],
            "preferredHolder": ["type": "string"], "renewTime": ref(componentName("MicroTime")),
            "strategy": ["type": "string"],
        ],
    ]

    /// FNV-1a, 64 bits, as 16 hex digits: stable across runs, changes with the document.
    static func hash(_ text: String) -> String {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01b3
        }
        let hex = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
