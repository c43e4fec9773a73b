import ChaosHarness
import Foundation
import TestSupport
import Testing

/// The proof that the deployment's Role is exact: the real controller, in-cluster against `kubesim --tls --rbac`,
/// goes through its whole life with zero 403s; and with any one verb of the Role taken out, a named scenario fails
/// and the audit log shows the 403 of that verb.
///
/// The Role comes from `manifests/base/*.yaml` when that folder holds one (the deployment's own), else from the
/// copy below; the output says which.
@Suite("RBAC proof", .serialized)
struct RBACProofTests {
    /// The Role the controller needs, for as long as `manifests/base` holds none.
    static let ownRole = """
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
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: taskpod, namespace: taskpod}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: taskpod}
        subjects:
        - {kind: ServiceAccount, name: taskpod, namespace: taskpod}
        """

    /// The same rules as a ClusterRole bound everywhere, for `--all-namespaces`.
    static let clusterRole = ownRole
        .replacingOccurrences(of: "kind: Role\n", with: "kind: ClusterRole\n")
        .replacingOccurrences(of: "kind: RoleBinding", with: "kind: ClusterRoleBinding")
        .replacingOccurrences(of: "kind: Role, name", with: "kind: ClusterRole, name")
        .replacingOccurrences(of: "metadata: {name: taskpod, namespace: taskpod}\nrules", with: "metadata: {name: taskpod}\nrules")

    static func policy(filePath: String = #filePath) throws -> RBACPolicyFile {
        let root = URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        if let deployed = try RBACPolicyFile.load(directory: root + "/manifests/base") {
            say("proving the deployment's Role from \(deployed.source)")
            return deployed
        }
        say("manifests/base holds no Role yet: proving the test's own copy (RBACProofTests.ownRole)")
        return try RBACPolicyFile(yaml: ownRole, source: "the test's own Role")
    }

    /// The RBAC documents of the multi-namespace overlay as `kubectl kustomize` renders it (the ClusterRole and
    /// ClusterRoleBinding for Pods, logs and Events, and the namespaced Role left with the Lease verbs); the test's own
    /// ClusterRole while the repository has no such overlay.
    static func multiNamespacePolicy(filePath: String = #filePath) async throws -> RBACPolicyFile {
        let root = URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let overlay = root + "/manifests/overlays/multi-namespace"
        guard FileManager.default.fileExists(atPath: overlay + "/kustomization.yaml") else {
            say("manifests/overlays/multi-namespace does not exist: proving the test's own ClusterRole")
            return try RBACPolicyFile(yaml: clusterRole, source: "the test's ClusterRole")
        }
        let directory = try TemporaryDirectory(prefix: "rbac-overlay")
        defer { directory.remove() }
        let rendered = try await ExternalTools.run(try ExternalTools.tool("kubectl"), ["kustomize", overlay], in: directory.path)
        guard rendered.succeeded else { throw HarnessError("kubectl kustomize \(overlay) failed: \(rendered.output)") }
        let policy = try RBACPolicyFile(yaml: rendered.output, source: "manifests/overlays/multi-namespace (rendered)")
        say("proving the multi-namespace overlay's RBAC from \(policy.source)")
        return policy
    }

    static func say(_ line: String) {
        FileHandle.standardError.write(Data("[rbac] \(line)\n".utf8))
    }

    @Test func theWholeLifeRunsWithoutA403() async throws {
        let policy = try Self.policy()
        for name in RBACScenario.Name.allCases {
            let result = try await RBACScenario(name, policy: policy).run()
            Self.say("\(result)")
            #expect(result.passed, "\(result)")
        }
    }

    @Test func everyVerbOfTheRoleIsNeeded() async throws {
        let policy = try Self.policy()
        let grants = policy.grants
        #expect(!grants.isEmpty)
        let results = try await withThrowingTaskGroup(of: (RBACPolicyFile.Grant, RBACScenario.Result?).self) { group in
            var results: [(RBACPolicyFile.Grant, RBACScenario.Result?)] = []
            var pending = grants[...]
            // Four at a time: the processes mostly wait, and a failing scenario waits out its timeout.
            func startNext() {
                guard let grant = pending.popFirst() else { return }
                group.addTask {
                    guard let name = RBACScenario.Name.needing(grant) else { return (grant, nil) }
                    var scenario = RBACScenario(name, policy: policy.removing(grant))
                    scenario.timeout = .seconds(14)
                    return (grant, try await scenario.run())
                }
            }
            for _ in 0..<4 { startNext() }
            while let result = try await group.next() {
                results.append(result)
                startNext()
            }
            return results
        }
        for (grant, result) in results.sorted(by: { $0.0.description < $1.0.description }) {
            guard let result else {
                Issue.record("no scenario needs \(grant): the Role grants more than the controller uses")
                continue
            }
            Self.say("without \(grant): \(result)")
            #expect(!result.functionalFailures.isEmpty, "without \(grant) the \(result.name) scenario still passed")
            let verb = grant.verb
            let resource = grant.resource.split(separator: "/").first.map(String.init) ?? grant.resource
            #expect(result.forbidden.contains { $0.verb == verb && $0.path.contains("/\(resource)") },
                    "without \(grant) the audit log shows no 403 \(verb) on \(resource): \(result)")
        }
    }

    @Test func multiNamespaceModeNeedsAClusterRole() async throws {
        let cluster = try await Self.multiNamespacePolicy()
        let passing = try await RBACScenario(.life, policy: cluster, allNamespaces: true).run()
        Self.say("--all-namespaces: \(passing)")
        #expect(passing.passed, "\(passing)")

        var roleOnly = RBACScenario(.life, policy: try Self.policy(), allNamespaces: true)
        roleOnly.timeout = .seconds(8)
        let failing = try await roleOnly.run()
        Self.say("--all-namespaces with a Role only: \(failing)")
        #expect(!failing.functionalFailures.isEmpty)
        #expect(failing.forbidden.contains { $0.path == "/api/v1/pods" }, "\(failing)")
        #expect(failing.controllerOutput.contains("at the cluster scope"), "\(failing.controllerOutput.suffix(2000))")
    }
}
