import Foundation
import JSON
import KubeClient
import KubeSimTestKit
import Logging
import TaskPod
import TaskStore
import TestSupport

/// One named scenario of the RBAC proof: `kubesim --tls --rbac` with a service account, and the real `taskpod
/// controller --in-cluster` (token, CA and namespace from the folder KubeSim writes) going through one part of its
/// life. It passes when the tasks end as they must and the audit log holds no 403.
///
/// ```swift
/// let policy = try RBACPolicyFile(yaml: roleYAML, source: "the test's Role")
/// let result = try await RBACScenario(.adoption, policy: policy.removing(.init(resource: "pods", verb: "patch"))).run()
/// #expect(!result.functionalFailures.isEmpty && result.forbidden.contains { $0.verb == "patch" })
/// ```
public struct RBACScenario: Sendable {
    public enum Name: String, Sendable, CaseIterable, CustomStringConvertible {
        /// A task with a followed log, a failing one (its Warning events listed), a cancelled one (`taskpod cancel`).
        case life
        /// A controller SIGKILLed while its task runs; a second controller id adopts the Pod once the heartbeat lapses.
        case adoption
        /// Two replicas with `--leader-elect`; the leader gets SIGTERM and the standby takes over.
        case leaderElection = "leader-election"
        /// A task's Pod exists before the controller creates it: 409, the controller reads the Pod and adopts it; another
        /// task's Pod name is taken by someone else's Pod: the read shows it and the task fails with PodNameConflict.
        case existingPod = "existing-pod"

        public var description: String { rawValue }

        /// The scenario that needs a grant of the deployment's Role; `nil` for one no scenario uses.
        public static func needing(_ grant: RBACPolicyFile.Grant) -> Name? {
            switch (grant.resource, grant.verb) {
            case ("pods", "create"), ("pods", "list"), ("pods", "watch"), ("pods", "delete"), ("pods/log", "get"),
                ("events", "list"):
                .life
            case ("pods", "get"): .existingPod
            case ("pods", "patch"): .adoption
            case ("leases", "get"), ("leases", "create"), ("leases", "update"): .leaderElection
            default: nil
            }
        }
    }

    /// What a run showed.
    public struct Result: Sendable, CustomStringConvertible {
        public var name: Name
        public var policySource: String
        /// The expectations about tasks, logs and Pods that did not hold.
        public var functionalFailures: [String]
        /// The audit log's 403 entries.
        public var forbidden: [AuditLogFile.Entry]
        /// The controllers' output, for the messages of the 403s they met.
        public var controllerOutput: String
        public var seconds: Double

        public var passed: Bool { functionalFailures.isEmpty && forbidden.isEmpty }

        public var description: String {
            var text = "\(name) under \(policySource): \(passed ? "passed" : "FAILED") in "
                + String(format: "%.1f s", seconds)
            for failure in functionalFailures { text += "\n  - \(failure)" }
            for entry in forbidden.prefix(5) { text += "\n  - 403 \(entry.verb) \(entry.path)" }
            if forbidden.count > 5 { text += "\n  - … \(forbidden.count - 5) more 403s" }
            return text
        }
    }

    public var name: Name
    public var policy: RBACPolicyFile
    /// Run the controller with `--all-namespaces` (multi_namespace_mode).
    public var allNamespaces = false
    /// How long the tasks of the scenario may take.
    /// (The controller notices a cancel in the store, and an image pull error past its grace, at its 10 s resync.)
    public var timeout: Duration = .seconds(20)
    public var logger: Logger = .test("rbac")

    public static let namespace = "taskpod"
    public static let serviceAccount = "taskpod"

    public init(_ name: Name, policy: RBACPolicyFile, allNamespaces: Bool = false) {
        self.name = name
        self.policy = policy
        self.allNamespaces = allNamespaces
    }

    /// Runs the scenario in a folder of its own, removed afterwards (kept with `TASKPOD_KEEP_RBAC_RUNS` set).
    ///
    /// - Throws: ``HarnessError`` when the simulator or a binary cannot be started.
    public func run() async throws -> Result {
        let directory = NSTemporaryDirectory() + "taskpod-rbac-\(name)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // TASKPOD_KEEP_RBAC_RUNS=1 keeps the folder (controller logs, audit log, sim log) to look into.
        let keep = ProcessInfo.processInfo.environment["TASKPOD_KEEP_RBAC_RUNS"] != nil
        defer { if !keep { try? FileManager.default.removeItem(atPath: directory) } }
        let policyPath = directory + "/rbac.yaml"
        try policy.yaml.write(toFile: policyPath, atomically: true, encoding: .utf8)
        let token = UUID().uuidString
        let start = ContinuousClock.now
        return try await SimProcess.with(directory: directory, extraArguments: [
            "--tls", "--rbac", policyPath, "--rbac-namespace", Self.namespace,
            "--service-account", "\(Self.namespace)/\(Self.serviceAccount)=\(token)",
            "--write-serviceaccount-dir", directory + "/serviceaccount",
        ]) { sim in
            let store = try await TaskStore.open(directory + "/tasks.sqlite", logger: logger)
            let run = Run(scenario: self, directory: directory, sim: sim, store: store, client: try sim.client(logger: logger))
            do {
                try await run.perform()
            } catch {
                run.fail("the scenario stopped: \(error)")
            }
            await run.stopControllers()
            try? await store.close()
            let audit = try AuditLogFile(path: sim.auditLogPath)
            return Result(
                name: name, policySource: policy.source, functionalFailures: run.failures,
                forbidden: audit.entries.filter { $0.code == 403 }, controllerOutput: run.output,
                seconds: (ContinuousClock.now - start).inSeconds)
        }
    }
}
