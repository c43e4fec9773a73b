import JSON

/// The RBAC policy a ``KubeSim`` enforces on service accounts: the Roles, ClusterRoles, RoleBindings and
/// ClusterRoleBindings of a YAML stream (a rendered Helm chart, `kubectl kustomize` output), evaluated as the API
/// server's RBAC authorizer does.
///
/// Only requests authenticated as a service account (``KubeSimAuthentication/serviceAccounts``) are authorized;
/// other credentials (`--token`, the issued admin certificate, anonymous access) act as cluster admins, so that a
/// test's own client keeps full access. Discovery and other non-resource paths are open to every authenticated
/// user, as the default `system:discovery` ClusterRole allows.
///
/// ```swift
/// let rbac = try KubeSimRBAC(yaml: String(contentsOfFile: "rendered.yaml", encoding: .utf8))
/// let decision = rbac.authorize(
///     .init(verb: "patch", resource: "pods", namespace: "taskpod", name: "x"),
///     user: .serviceAccount(namespace: "taskpod", name: "taskpod"))
/// if case .deny(let message) = decision { print(message) }
/// ```
public struct KubeSimRBAC: Sendable, Equatable {
    /// One rule of a Role or ClusterRole (`nonResourceURLs` rules are kept out: non-resource paths are open).
    public struct PolicyRule: Sendable, Equatable {
        public var apiGroups: [String]
        public var resources: [String]
        public var verbs: [String]
        public var resourceNames: [String]

        public init(apiGroups: [String] = [""], resources: [String], verbs: [String], resourceNames: [String] = []) {
            self.apiGroups = apiGroups
            self.resources = resources
            self.verbs = verbs
            self.resourceNames = resourceNames
        }

        /// Whether the rule allows the request, as `RuleAllows` of the API server's RBAC authorizer.
        func allows(_ request: Request) -> Bool {
            (verbs.contains("*") || verbs.contains(request.verb))
                && (apiGroups.contains("*") || apiGroups.contains(request.apiGroup))
                && matchesResource(request)
                && (resourceNames.isEmpty || (!request.name.isEmpty && resourceNames.contains(request.name)))
        }

        /// `*`, the combined `resource/subresource`, or `*/subresource`.
        private func matchesResource(_ request: Request) -> Bool {
            let combined = request.subresource.isEmpty ? request.resource : request.resource + "/" + request.subresource
            for resource in resources {
                if resource == "*" || resource == combined { return true }
                if !request.subresource.isEmpty, resource == "*/" + request.subresource { return true }
            }
            return false
        }
    }

    /// A subject of a binding.
    public struct Subject: Sendable, Equatable {
        public enum Kind: String, Sendable {
            case serviceAccount = "ServiceAccount", user = "User", group = "Group"
        }

        public var kind: Kind
        public var name: String
        /// A service account's namespace; empty in a RoleBinding means the binding's.
        public var namespace: String

        public init(kind: Kind, name: String, namespace: String = "") {
            self.kind = kind
            self.name = name
            self.namespace = namespace
        }

        func applies(to user: User, bindingNamespace: String) -> Bool {
            switch kind {
            case .user: return user.name == name
            case .group: return user.groups.contains(name)
            case .serviceAccount:
                let namespace = namespace.isEmpty ? bindingNamespace : namespace
                return user.name == User.serviceAccountName(namespace: namespace, name: name)
            }
        }
    }

    /// A RoleBinding (`namespace` set) or a ClusterRoleBinding (`namespace` nil).
    public struct Binding: Sendable, Equatable {
        public var name: String
        public var namespace: String?
        /// `Role` or `ClusterRole`.
        public var roleKind: String
        public var roleName: String
        public var subjects: [Subject]

        public init(name: String, namespace: String?, roleKind: String, roleName: String, subjects: [Subject]) {
            self.name = name
            self.namespace = namespace
            self.roleKind = roleKind
            self.roleName = roleName
            self.subjects = subjects
        }
    }

    /// The identity of a request.
    public struct User: Sendable, Equatable {
        public var name: String
        public var groups: [String]

        public init(name: String, groups: [String]) {
            self.name = name
            self.groups = groups
        }

        /// `system:serviceaccount:NS:NAME`, in the groups `system:serviceaccounts`, `system:serviceaccounts:NS` and
        /// `system:authenticated`.
        public static func serviceAccount(namespace: String, name: String) -> User {
            User(
                name: serviceAccountName(namespace: namespace, name: name),
                groups: ["system:serviceaccounts", "system:serviceaccounts:\(namespace)", "system:authenticated"])
        }

        static func serviceAccountName(namespace: String, name: String) -> String {
            "system:serviceaccount:\(namespace):\(name)"
        }
    }

    /// A resource request's attributes, as the API server's request info: the verb (`get`, `list`, `watch`,
    /// `create`, `update`, `patch`, `delete`, `deletecollection`), the API group (`""` for core), the resource and
    /// subresource, the namespace (`""` at the cluster scope or across all namespaces) and the object's name.
    public struct Request: Sendable, Equatable {
        public var verb: String
        public var apiGroup: String
        public var resource: String
        public var subresource: String
        public var namespace: String
        public var name: String

        public init(
            verb: String, apiGroup: String = "", resource: String, subresource: String = "", namespace: String = "",
            name: String = ""
        ) {
            self.verb = verb
            self.apiGroup = apiGroup
            self.resource = resource
            self.subresource = subresource
            self.namespace = namespace
            self.name = name
        }
    }

    /// Allowed, or denied with the API server's message (the `Status` message of the 403).
    public enum Decision: Sendable, Equatable {
        case allow
        case deny(message: String)
    }

    public var roles: [String: [PolicyRule]] = [:]
    public var clusterRoles: [String: [PolicyRule]] = [:]
    public var bindings: [Binding] = []

    /// A policy from its parts; Roles are keyed `namespace/name`, ClusterRoles by name.
    public init(roles: [String: [PolicyRule]] = [:], clusterRoles: [String: [PolicyRule]] = [:], bindings: [Binding] = []) {
        self.roles = roles
        self.clusterRoles = clusterRoles
        self.bindings = bindings
    }

    /// Decides a request as the RBAC authorizer does: allowed when a binding that applies to the user (a
    /// ClusterRoleBinding anywhere, a RoleBinding only in its namespace) refers to a role with a rule that allows it.
    public func authorize(_ request: Request, user: User) -> Decision {
        for binding in bindings {
            if let namespace = binding.namespace, namespace != request.namespace { continue }
            guard binding.subjects.contains(where: { $0.applies(to: user, bindingNamespace: binding.namespace ?? "") })
            else { continue }
            let rules: [PolicyRule]?
            if binding.roleKind == "Role", let namespace = binding.namespace {
                rules = roles["\(namespace)/\(binding.roleName)"]
            } else if binding.roleKind == "ClusterRole" {
                rules = clusterRoles[binding.roleName]
            } else {
                rules = nil
            }
            if rules?.contains(where: { $0.allows(request) }) == true { return .allow }
        }
        return .deny(message: Self.forbiddenMessage(request, user: user))
    }

    /// The message of the API server's 403, e.g. `pods "x" is forbidden: User "system:serviceaccount:ns:sa" cannot
    /// patch resource "pods" in API group "" in the namespace "ns"`.
    static func forbiddenMessage(_ request: Request, user: User) -> String {
        let resource = request.subresource.isEmpty ? request.resource : request.resource + "/" + request.subresource
        let scope = request.namespace.isEmpty ? "at the cluster scope" : "in the namespace \(request.namespace.quoted)"
        let reason = "User \(user.name.quoted) cannot \(request.verb) resource \(resource.quoted) in API group "
            + "\(request.apiGroup.quoted) \(scope)"
        let qualified = qualifiedResource(request)
        return request.name.isEmpty
            ? "\(qualified) is forbidden: \(reason)" : "\(qualified) \(request.name.quoted) is forbidden: \(reason)"
    }

    /// `pods`, `leases.coordination.k8s.io`: Go's `GroupResource.String()`.
    static func qualifiedResource(_ request: Request) -> String {
        request.apiGroup.isEmpty ? request.resource : request.resource + "." + request.apiGroup
    }
}
