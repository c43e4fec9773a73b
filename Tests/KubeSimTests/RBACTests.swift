import JSON
import KubeSim
import Testing

/// The RBAC authorizer as plain values (rules, bindings, requests → allow or deny with the API server's message),
/// then over HTTP: a 403 `Status` body, and an audit entry.
@Suite("RBAC")
struct RBACTests {
    static let user = KubeSimRBAC.User.serviceAccount(namespace: "taskpod", name: "taskpod")
    static let userName = "system:serviceaccount:taskpod:taskpod"

    static let roleYAML = """
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: taskpod, namespace: taskpod}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: taskpod, namespace: taskpod}
        rules:
        - apiGroups: [""]
          resources: [pods]
          verbs: [create, get, list, watch, patch, delete]
        - apiGroups: [""]
          resources: [pods/log]
          verbs: [get]
        - apiGroups: [""]
          resources: [events]
          verbs: [list]
        - apiGroups: [coordination.k8s.io]
          resources: [leases]
          verbs: [get, create, update]
          resourceNames: [taskpod-leader]
        - nonResourceURLs: [/metrics]
          verbs: [get]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: taskpod, namespace: taskpod}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: taskpod}
        subjects:
        - kind: ServiceAccount
          name: taskpod
        """

    static func request(
        _ verb: String, _ resource: String, subresource: String = "", group: String = "", namespace: String = "taskpod",
        name: String = ""
    ) -> KubeSimRBAC.Request {
        .init(verb: verb, apiGroup: group, resource: resource, subresource: subresource, namespace: namespace, name: name)
    }

    @Test func aRoleAllowsItsVerbsInItsNamespaceOnly() throws {
        let rbac = try KubeSimRBAC(yaml: Self.roleYAML)
        #expect(rbac.roles.keys.sorted() == ["taskpod/taskpod"])
        #expect(rbac.bindings.count == 1)
        for verb in ["create", "get", "list", "watch", "patch", "delete"] {
            #expect(rbac.authorize(Self.request(verb, "pods", name: "x"), user: Self.user) == .allow, "\(verb)")
        }
        #expect(rbac.authorize(Self.request("get", "pods", subresource: "log", name: "x"), user: Self.user) == .allow)
        #expect(rbac.authorize(Self.request("list", "events"), user: Self.user) == .allow)
        #expect(rbac.authorize(
            Self.request("update", "leases", group: "coordination.k8s.io", name: "taskpod-leader"), user: Self.user)
            == .allow)

        #expect(rbac.authorize(Self.request("update", "pods", name: "x"), user: Self.user) == .deny(message:
            #"pods "x" is forbidden: User "system:serviceaccount:taskpod:taskpod" cannot update resource "pods" in API group "" in the namespace "taskpod""#))
        #expect(rbac.authorize(Self.request("deletecollection", "pods"), user: Self.user) == .deny(message:
            #"pods is forbidden: User "system:serviceaccount:taskpod:taskpod" cannot deletecollection resource "pods" in API group "" in the namespace "taskpod""#))
        #expect(rbac.authorize(Self.request("list", "pods", namespace: "other"), user: Self.user) == .deny(message:
            #"pods is forbidden: User "system:serviceaccount:taskpod:taskpod" cannot list resource "pods" in API group "" in the namespace "other""#))
        #expect(rbac.authorize(Self.request("watch", "pods", namespace: ""), user: Self.user) == .deny(message:
            #"pods is forbidden: User "system:serviceaccount:taskpod:taskpod" cannot watch resource "pods" in API group "" at the cluster scope"#))
    }

    @Test func subresourcesNeedTheirOwnRule() throws {
        let rbac = try KubeSimRBAC(yaml: Self.roleYAML)
        #expect(rbac.authorize(Self.request("patch", "pods", subresource: "status", name: "x"), user: Self.user)
            == .deny(message: #"pods "x" is forbidden: User "system:serviceaccount:taskpod:taskpod" cannot patch resource "pods/status" in API group "" in the namespace "taskpod""#))
        #expect(rbac.authorize(Self.request("get", "pods", subresource: "exec", name: "x"), user: Self.user) != .allow)
        // `*/log` matches every resource's log; `pods/*` matches nothing (as the API server's ResourceMatches).
        let any = KubeSimRBAC(
            roles: ["taskpod/r": [.init(resources: ["*/log", "pods/*"], verbs: ["get"])]],
            bindings: [.init(name: "b", namespace: "taskpod", roleKind: "Role", roleName: "r",
                             subjects: [.init(kind: .serviceAccount, name: "taskpod")])])
        #expect(any.authorize(Self.request("get", "pods", subresource: "log", name: "x"), user: Self.user) == .allow)
        #expect(any.authorize(Self.request("get", "pods", subresource: "exec", name: "x"), user: Self.user) != .allow)
        #expect(any.authorize(Self.request("get", "pods", name: "x"), user: Self.user) != .allow)
    }

    @Test func resourceNamesAndAPIGroupsNarrowARule() throws {
        let rbac = try KubeSimRBAC(yaml: Self.roleYAML)
        #expect(rbac.authorize(
            Self.request("get", "leases", group: "coordination.k8s.io", name: "other"), user: Self.user)
            == .deny(message: #"leases.coordination.k8s.io "other" is forbidden: User "system:serviceaccount:taskpod:taskpod" cannot get resource "leases" in API group "coordination.k8s.io" in the namespace "taskpod""#))
        // A create carries no name, so a rule with resourceNames never allows it.
        #expect(rbac.authorize(Self.request("create", "leases", group: "coordination.k8s.io"), user: Self.user)
            != .allow)
        // Pods of another API group are another resource.
        #expect(rbac.authorize(Self.request("get", "pods", group: "metrics.k8s.io", name: "x"), user: Self.user)
            != .allow)
    }

    @Test func clusterRolesGrantThroughBothKindsOfBinding() throws {
        let yaml = """
            kind: ClusterRole
            apiVersion: rbac.authorization.k8s.io/v1
            metadata: {name: pod-reader}
            rules: [{apiGroups: ["*"], resources: ["*"], verbs: [get, list]}]
            ---
            kind: RoleBinding
            apiVersion: rbac.authorization.k8s.io/v1
            metadata: {name: read-in-a, namespace: a}
            roleRef: {kind: ClusterRole, name: pod-reader}
            subjects: [{kind: ServiceAccount, name: taskpod, namespace: taskpod}]
            ---
            kind: ClusterRoleBinding
            apiVersion: rbac.authorization.k8s.io/v1
            metadata: {name: all-serviceaccounts-of-b}
            roleRef: {kind: ClusterRole, name: pod-reader}
            subjects: [{kind: Group, name: "system:serviceaccounts:b"}]
            """
        let rbac = try KubeSimRBAC(yaml: yaml)
        #expect(rbac.authorize(Self.request("list", "pods", namespace: "a"), user: Self.user) == .allow)
        #expect(rbac.authorize(Self.request("list", "pods", namespace: "c"), user: Self.user) != .allow)
        #expect(rbac.authorize(Self.request("list", "pods", namespace: ""), user: Self.user) != .allow)
        let other = KubeSimRBAC.User.serviceAccount(namespace: "b", name: "default")
        #expect(rbac.authorize(Self.request("list", "pods", namespace: ""), user: other) == .allow)
        #expect(rbac.authorize(Self.request("get", "leases", group: "coordination.k8s.io", namespace: "z", name: "l"),
                               user: other) == .allow)
        #expect(rbac.authorize(Self.request("delete", "pods", namespace: "z", name: "x"), user: other) == .deny(
            message: #"pods "x" is forbidden: User "system:serviceaccount:b:default" cannot delete resource "pods" in API group "" in the namespace "z""#))
    }

    @Test func aBrokenDocumentNamesItsField() {
        let yaml = "kind: RoleBinding\nmetadata: {name: b, namespace: n}\nsubjects: []\n"
        #expect { try KubeSimRBAC(yaml: yaml) } throws: { error in
            (error as? KubeSimError)?.code == .invalidRBAC && "\(error)".contains("roleRef.kind")
        }
    }

    @Test func theAPIAnswersForbiddenAsTheServerDoes() async throws {
        var configuration = fastConfiguration()
        configuration.rbac = try KubeSimRBAC(yaml: Self.roleYAML)
        configuration.authentication = KubeSimAuthentication(
            tokens: ["admin"], serviceAccounts: ["sa-token": .init(namespace: "taskpod", name: "taskpod")])
        try await withKubeSim(configuration) { sim, plain in
            let admin = SimClient(baseURL: plain.baseURL, headers: [("Authorization", "Bearer admin")])
            let account = SimClient(baseURL: plain.baseURL, headers: [("Authorization", "Bearer sa-token")])
            #expect(try await account.get("/api/v1/namespaces/taskpod/pods").status == 200)
            #expect(try await account.get("/api").status == 200)
            let created = try await account.createPod("p", namespace: "taskpod").jsonBytes

            let put = try await account.request("PUT", "/api/v1/namespaces/taskpod/pods/p", body: created)
            #expect(put.status == 403)
            #expect(put.text == #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"p\" is forbidden: User \"system:serviceaccount:taskpod:taskpod\" cannot update resource \"pods\" in API group \"\" in the namespace \"taskpod\"","reason":"Forbidden","details":{"name":"p","kind":"pods"},"code":403}"#)
            let all = try await account.get("/api/v1/pods?watch=true")
            #expect(all.status == 403)
            #expect(all.json["message"]?.stringValue == #"pods is forbidden: User "system:serviceaccount:taskpod:taskpod" cannot watch resource "pods" in API group "" at the cluster scope"#)
            #expect(all.json["details"] == ["kind": "pods"])
            let lease = try await account.get("/apis/coordination.k8s.io/v1/namespaces/taskpod/leases/x")
            #expect(lease.json["details"] == ["name": "x", "group": "coordination.k8s.io", "kind": "leases"])
            // The field selector's name is the request's name.
            let narrowed = try await account.get("/api/v1/namespaces/taskpod/events?fieldSelector=metadata.name%3De1")
            #expect(narrowed.status == 200)
            #expect(try await account.get("/api/v1/namespaces/taskpod/events/e1").status == 403)
            // Admin credentials are not subject to RBAC.
            #expect(try await admin.request("PUT", "/api/v1/namespaces/taskpod/pods/p", body: created).status
                != 403)
            #expect(try await admin.get("/api/v1/pods").status == 200)

            let denied = await sim.auditEntries().filter { $0["code"] == 403 }
            #expect(denied.count == 4, "\(denied)")
            #expect(denied.first?["user"]?.stringValue == Self.userName)
            #expect(denied.first?["verb"] == "update")
        }
    }

    @Test func withoutAPolicyEveryServiceAccountRequestIsAllowed() async throws {
        var configuration = fastConfiguration()
        configuration.authentication = KubeSimAuthentication(
            serviceAccounts: ["sa-token": .init(namespace: "taskpod", name: "taskpod")])
        try await withKubeSim(configuration) { _, plain in
            let account = SimClient(baseURL: plain.baseURL, headers: [("Authorization", "Bearer sa-token")])
            let allowed = try await account.get("/api/v1/pods")
            #expect(allowed.status == 200)
            let anonymous = try await plain.get("/api/v1/pods")
            #expect(anonymous.status == 401)
        }
    }
}
