import JSON
import YAML

extension KubeSimRBAC {
    /// The policy of a YAML stream of Kubernetes objects: its Roles, ClusterRoles, RoleBindings and
    /// ClusterRoleBindings (also inside `kind: List`); every other kind is ignored.
    ///
    /// - Parameters:
    ///   - yaml: The stream (documents separated by `---`).
    ///   - defaultNamespace: The namespace of namespaced objects that name none, as `kubectl apply -n` would give.
    /// - Throws: ``KubeSimError`` with code `invalidRBAC`, naming the document, when the YAML does not parse or an
    ///   RBAC object lacks a field.
    public init(yaml: String, defaultNamespace: String = "default") throws(KubeSimError) {
        let documents: [JSONValue]
        do {
            documents = try YAML.parseAll(yaml)
        } catch {
            throw KubeSimError(.invalidRBAC, "the RBAC stream is not valid YAML: \(error)")
        }
        try self.init(documents: documents, defaultNamespace: defaultNamespace)
    }

    /// The policy of decoded objects (see ``init(yaml:defaultNamespace:)``).
    public init(documents: [JSONValue], defaultNamespace: String = "default") throws(KubeSimError) {
        self.init()
        var queue = documents[...]
        while let document = queue.popFirst() {
            guard case .object = document, let kind = document["kind"]?.stringValue else { continue }
            if kind == "List" || kind.hasSuffix("List") {
                queue.append(contentsOf: document["items"]?.arrayValue ?? [])
                continue
            }
            let name = document[path: "metadata", "name"]?.stringValue ?? ""
            let namespace = document[path: "metadata", "namespace"]?.stringValue ?? defaultNamespace
            let what = "\(kind) \(name.quoted)"
            switch kind {
            case "Role", "ClusterRole":
                guard !name.isEmpty else { throw KubeSimError(.invalidRBAC, "a \(kind) has no metadata.name") }
                let rules = try Self.rules(document["rules"], of: what)
                if kind == "Role" { roles["\(namespace)/\(name)"] = rules } else { clusterRoles[name] = rules }
            case "RoleBinding", "ClusterRoleBinding":
                guard !name.isEmpty else { throw KubeSimError(.invalidRBAC, "a \(kind) has no metadata.name") }
                guard let roleKind = document[path: "roleRef", "kind"]?.stringValue,
                    roleKind == "Role" || roleKind == "ClusterRole",
                    let roleName = document[path: "roleRef", "name"]?.stringValue
                else {
                    throw KubeSimError(.invalidRBAC, "\(what) needs roleRef.kind (Role or ClusterRole) and roleRef.name")
                }
                if kind == "ClusterRoleBinding", roleKind == "Role" {
                    throw KubeSimError(.invalidRBAC, "\(what) refers to a Role; a ClusterRoleBinding needs a ClusterRole")
                }
                bindings.append(Binding(
                    name: name, namespace: kind == "RoleBinding" ? namespace : nil, roleKind: roleKind,
                    roleName: roleName, subjects: try Self.subjects(document["subjects"], of: what)))
            default:
                continue
            }
        }
    }

    private static func rules(_ value: JSONValue?, of what: String) throws(KubeSimError) -> [PolicyRule] {
        var rules: [PolicyRule] = []
        for (index, rule) in (value?.arrayValue ?? []).enumerated() {
            let verbs = strings(rule["verbs"])
            guard !verbs.isEmpty else { throw KubeSimError(.invalidRBAC, "\(what): rules[\(index)].verbs is empty") }
            // Rules of non-resource URLs only: the sim leaves those paths open.
            guard rule["resources"] != nil else { continue }
            rules.append(PolicyRule(
                apiGroups: strings(rule["apiGroups"]), resources: strings(rule["resources"]), verbs: verbs,
                resourceNames: strings(rule["resourceNames"])))
        }
        return rules
    }

    private static func subjects(_ value: JSONValue?, of what: String) throws(KubeSimError) -> [Subject] {
        var subjects: [Subject] = []
        for (index, subject) in (value?.arrayValue ?? []).enumerated() {
            guard let kindName = subject["kind"]?.stringValue, let kind = Subject.Kind(rawValue: kindName),
                let name = subject["name"]?.stringValue
            else {
                throw KubeSimError(
                    .invalidRBAC, "\(what): subjects[\(index)] needs kind (ServiceAccount, User or Group) and name")
            }
            subjects.append(Subject(kind: kind, name: name, namespace: subject["namespace"]?.stringValue ?? ""))
        }
        return subjects
    }

    private static func strings(_ value: JSONValue?) -> [String] {
        (value?.arrayValue ?? []).compactMap(\.stringValue)
    }
}
