import Foundation
import JSON
import KubeClient
import KubeSimTestKit
import Synchronization
import TaskPod
import TaskStore
import TestSupport

extension RBACScenario {
    /// One run's processes and findings.
    final class Run: Sendable {
        let scenario: RBACScenario
        let directory: String
        let sim: SimProcess
        let store: TaskStore
        /// The harness's own client: the sim's admin certificate, not subject to RBAC.
        let client: KubeClient
        private let state = Mutex<(failures: [String], controllers: [ChildProcess])>(([], []))

        init(scenario: RBACScenario, directory: String, sim: SimProcess, store: TaskStore, client: KubeClient) {
            self.scenario = scenario
            self.directory = directory
            self.sim = sim
            self.store = store
            self.client = client
        }

        var failures: [String] { state.withLock { $0.failures } }
        var output: String { state.withLock { $0.controllers.map { $0.output() }.joined(separator: "\n") } }

        func fail(_ failure: String) {
            state.withLock { $0.failures.append(failure) }
        }

        func perform() async throws {
            switch scenario.name {
            case .life: try await life()
            case .adoption: try await adoption()
            case .leaderElection: try await leaderElection()
            case .existingPod: try await existingPod()
            }
        }

        // MARK: scenarios

        func life() async throws {
            let logged = try await submit("logged", ["run-seconds": "1.5", "log": "rbac-line-1\nrbac-line-2\n"])
            let failing = try await submit("failing", ["image-pull-error": "true"], image: "registry.invalid/rbac/missing:1")
            let cancelled = try await submit("cancelled", ["run-seconds": "60"])
            try startController("rbac-1")
            let deadline = ContinuousClock.now + scenario.timeout
            if try await waitFor(cancelled, [.running], until: deadline) != nil {
                try await cancel(cancelled)
            }
            let ended = try await waitFor(logged, [.success], until: deadline)
            try await expectLog(of: logged, ["rbac-line-1", "rbac-line-2"])
            if try await waitFor(failing, [.failed], until: deadline) != nil {
                try await expectLog(of: failing, ["Warning events of Pod"])
            }
            let gone = try await waitFor(cancelled, [.cancelled], until: deadline)
            for task in [ended, gone].compactMap({ $0 }) {
                try await expectPodDeleted(task, until: deadline)
            }
        }

        func adoption() async throws {
            let task = try await submit("adopted", ["run-seconds": "5", "log": "adopted-line\n"])
            let first = try startController("rbac-a")
            let deadline = ContinuousClock.now + scenario.timeout
            guard try await waitFor(task, [.running], until: deadline) != nil else { return }
            await first.killAndWait()
            try startController("rbac-b")
            if try await waitFor(task, [.success], until: deadline) != nil {
                try await expectLog(of: task, ["adopted-line"])
            }
        }

        func leaderElection() async throws {
            let arguments = ["--leader-elect", "--lease-duration", "3"]
            let replicas = [
                ("rbac-l1", try startController("rbac-l1", arguments)),
                ("rbac-l2", try startController("rbac-l2", arguments)),
            ]
            let deadline = ContinuousClock.now + scenario.timeout
            guard let leader = await waitForLeader(until: deadline) else {
                fail("no replica took the Lease taskpod-controller")
                return
            }
            let first = try await submit("before-failover", ["run-seconds": "0.3"])
            guard try await waitFor(first, [.success], until: deadline) != nil else { return }
            guard let stopped = replicas.first(where: { $0.0 == leader }) else {
                fail("the Lease holder \(leader) is no replica of the run")
                return
            }
            let status = await stopped.1.stop(grace: .seconds(10))
            if status != .exited(0) { fail("the leader \(leader) ended with \(status) on SIGTERM") }
            let second = try await submit("after-failover", ["run-seconds": "0.3"])
            _ = try await waitFor(second, [.success], until: deadline)
            let holder = await waitForLeader(until: deadline, other: leader)
            if holder == nil || holder == leader { fail("the standby did not take the Lease over from \(leader)") }
        }

        func existingPod() async throws {
            let task = try await submit("existing", ["run-seconds": "0.3", "log": "existing-line\n"])
            let conflicting = try await submit("conflicting", ["run-seconds": "0.3"])
            let builder = PodBuilder(
                defaultNamespace: RBACScenario.namespace, defaultImage: nil, controllerID: "rbac-e")
            _ = try await client.createPod(try builder.build(id: task.id, key: task.key, spec: task.spec))
            // Someone else's Pod with the name the second task's Pod gets: only a read of it tells them apart.
            let name = try builder.build(id: conflicting.id, key: conflicting.key, spec: conflicting.spec)[
                path: "metadata", "name"]?.stringValue ?? ""
            _ = try await client.createPod([
                "apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name)],
                "spec": ["containers": [["name": "app", "image": "busybox:foreign"]]],
            ], namespace: RBACScenario.namespace)
            try startController("rbac-e")
            let deadline = ContinuousClock.now + scenario.timeout
            if try await waitFor(task, [.success], until: deadline) != nil {
                try await expectLog(of: task, ["existing-line"])
            }
            if let failed = try await waitFor(conflicting, [.failed], until: deadline),
                failed.reason?.hasPrefix("PodNameConflict") != true
            {
                fail("task conflicting failed with \(failed.reason ?? "no reason"), not PodNameConflict")
            }
        }

        // MARK: helpers

        func submit(_ name: String, _ script: [String: String], image: String = "busybox:rbac") async throws
            -> TaskInstance
        {
            var annotations = JSONObject()
            for (key, value) in script.sorted(by: { $0.key < $1.key }) {
                annotations["kubesim.taskpod.io/" + key] = .string(value)
            }
            let spec = TaskSpec(
                command: ["rbac-task"], image: image, podOverride: ["metadata": ["annotations": .object(annotations)]])
            return try await store.submit(key: TaskKey(dagID: "rbac", taskID: name, runID: "rbac-run"), spec: spec)
        }

        @discardableResult
        func startController(_ id: String, _ extra: [String] = []) throws -> ChildProcess {
            var arguments = [
                "controller", "--db", directory + "/tasks.sqlite", "--in-cluster", "--controller-id", id,
                "--heartbeat-interval", "1", "--heartbeat-timeout", "3", "--image-pull-grace", "1",
                "--log-level", "info",
            ]
            if scenario.allNamespaces { arguments.append("--all-namespaces") }
            let port = sim.baseURL.split(separator: ":").last.map(String.init) ?? ""
            let process = try ChildProcess.start(
                name: "controller \(id)", executable: try BuiltBinary.locate(BuiltBinary.taskpod),
                arguments: arguments + extra, outputPath: directory + "/controller-\(id).log",
                environment: [
                    "KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": port,
                    "TASKPOD_SERVICEACCOUNT_DIR": directory + "/serviceaccount",
                ])
            state.withLock { $0.controllers.append(process) }
            return process
        }

        func stopControllers() async {
            for process in state.withLock({ $0.controllers }) where process.isRunning {
                _ = await process.stop(grace: .seconds(5))
            }
        }

        /// `taskpod cancel ID --db …`, as an operator would.
        func cancel(_ task: TaskInstance) async throws {
            let process = try ChildProcess.start(
                name: "taskpod cancel", executable: try BuiltBinary.locate(BuiltBinary.taskpod),
                arguments: ["cancel", "\(task.id)", "--db", directory + "/tasks.sqlite"],
                outputPath: directory + "/cancel.log")
            let status = await process.exit(timeout: .seconds(20))
            if status != .exited(0) { fail("taskpod cancel \(task.id) ended with \(String(describing: status))") }
        }

        /// Polls the store until the task is in one of `states`; records a failure and returns nil at the deadline.
        func waitFor(_ task: TaskInstance, _ states: Set<TaskState>, until deadline: ContinuousClock.Instant)
            async throws -> TaskInstance?
        {
            var last: TaskInstance?
            while ContinuousClock.now < deadline {
                last = try await store.task(id: task.id)
                if let last, states.contains(last.state) { return last }
                if let last, last.state.isFinal { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            let now = last.map { "\($0.state)\($0.reason.map { " (\($0))" } ?? "")" } ?? "unknown"
            fail("task \(task.key.taskID) is \(now), not \(states.map(\.rawValue).sorted().joined(separator: " or "))")
            return nil
        }

        func expectLog(of task: TaskInstance, _ fragments: [String]) async throws {
            let log = try await store.log(id: task.id)
            for fragment in fragments where !log.contains(fragment) {
                fail("the log of task \(task.key.taskID) lacks \"\(fragment)\"; it reads:\n\(log)")
            }
        }

        func expectPodDeleted(_ task: TaskInstance, until deadline: ContinuousClock.Instant) async throws {
            guard let name = task.podName else { return }
            while ContinuousClock.now < deadline {
                let pods = try await client.listAllPods(namespace: RBACScenario.namespace, labelSelector: nil)
                if !pods.items.contains(where: { $0.name == name }) { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            fail("the Pod \(name) of task \(task.key.taskID) was not deleted")
        }

        /// The Lease's holder once there is one (other than `other`), or nil at the deadline.
        func waitForLeader(until deadline: ContinuousClock.Instant, other: String? = nil) async -> String? {
            while ContinuousClock.now < deadline {
                if let lease = try? await client.lease(name: "taskpod-controller", namespace: RBACScenario.namespace),
                    let holder = lease.spec.holderIdentity, !holder.isEmpty, holder != other
                {
                    return holder
                }
                do { try await Task.sleep(for: .milliseconds(100)) } catch { return nil }
            }
            return nil
        }
    }
}
