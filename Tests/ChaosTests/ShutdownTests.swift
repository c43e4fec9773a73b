import ChaosHarness
import Foundation
import JSON
import KubeClient
import KubeSimTestKit
import Logging
import TaskStore
import TestSupport
import Testing

/// SIGTERM to a `taskpod controller` process: it stops claiming, lets the creates and recordings in flight finish
/// within its grace period, records its stop and exits 0; the store and KubeSim's audit log agree afterwards.
@Suite("Graceful shutdown of the controller process", .serialized)
struct ShutdownTests {
    /// The controller's `--shutdown-grace-period`, and how much longer the process may take to exit.
    static let grace = 10
    static let margin: Duration = .seconds(5)

    /// One run: KubeSim in its own process, a SQLite store, the controller in its own process.
    struct Scenario {
        let directory: TemporaryDirectory
        let sim: SimProcess
        let store: TaskStore
        let database: String

        func startController(id: String = "shutdown-test", extra: [String] = []) throws -> ChildProcess {
            try ChildProcess.start(
                name: "taskpod controller", executable: try BuiltBinary.locate(BuiltBinary.taskpod),
                arguments: [
                    "controller", "--db", database, "--kubeconfig", sim.kubeconfigPath, "--controller-id", id,
                    "--parallelism", "250", "--qps", "5000", "--burst", "5000", "--follow-logs", "true",
                    "--shutdown-grace-period", "\(ShutdownTests.grace)", "--log-level", "info",
                ] + extra,
                outputPath: directory.file("controller-\(id)-\(UUID().uuidString.prefix(4)).log"))
        }

        /// Submits `count` tasks whose Pods run `seconds` (scripted) or run `command` (exec).
        func submit(_ count: Int, seconds: Int, command: [String] = ["/bin/sh", "-c", "echo started; sleep 900"]) async throws {
            let override: JSONValue = [
                "metadata": ["annotations": [
                    "kubesim.taskpod.io/run-seconds": .string("\(seconds)"),
                    "kubesim.taskpod.io/log": "line one\nline two",
                ]],
            ]
            for index in 0..<count {
                let key = TaskKey(dagID: "shutdown", taskID: "task_\(index)", runID: "run")
                _ = try await store.submit(key: key, spec: TaskSpec(command: command, podOverride: override))
            }
        }

        /// Polls the store until `condition` holds for the counts, failing with the controller's output after `timeout`.
        func waitForCounts(
            _ what: String, controller: ChildProcess, timeout: Duration = .seconds(120),
            _ condition: @escaping @Sendable ([TaskState: Int]) -> Bool
        ) async throws {
            let store = self.store
            let reached = try await eventually(timeout: timeout, every: .milliseconds(100)) {
                condition(try await store.counts())
            }
            guard reached else {
                throw HarnessError("\(what) did not happen within \(timeout): \(try await store.counts())\n\(controller.outputTail(lines: 30))")
            }
        }

        /// Sends SIGTERM and returns how long the process took to exit, and how it exited.
        func terminate(_ controller: ChildProcess) async throws -> (Duration, ChildProcess.ExitStatus) {
            let start = ContinuousClock.now
            controller.kill(SIGTERM)
            guard let status = await controller.exit(timeout: .seconds(ShutdownTests.grace) + ShutdownTests.margin) else {
                await controller.killAndWait()
                throw HarnessError(
                    "the controller did not exit within \(ShutdownTests.grace) s + \(ShutdownTests.margin) of SIGTERM:\n"
                        + controller.outputTail(lines: 30))
            }
            return (ContinuousClock.now - start, status)
        }

        /// The store and the audit log agree: each successful create is one task's recorded Pod, no task has a Pod
        /// without a create, and no Pod was created twice or deleted.
        func checkConsistency(expectCreates: Int? = nil) async throws {
            let audit = try AuditLogFile(path: sim.auditLogPath)
            #expect(audit.malformedLines == 0)
            let creates = audit.successfulCreates
            #expect(creates.values.allSatisfy { $0.count == 1 }, "a Pod was created twice: \(creates.filter { $0.value.count > 1 }.keys.sorted())")
            let deletes = audit.entries.filter { $0.verb == "delete" && $0.pod != nil }
            #expect(deletes.isEmpty, "the controller deleted Pods while stopping: \(deletes.prefix(5))")
            let tasks = try await store.tasks()
            let recorded = Set(tasks.compactMap(\.podName))
            #expect(recorded == Set(creates.keys), """
                the store and the audit log disagree: created but not recorded \(Set(creates.keys).subtracting(recorded).sorted().prefix(5)), \
                recorded but not created \(recorded.subtracting(creates.keys).sorted().prefix(5))
                """)
            if let expectCreates { #expect(creates.count == expectCreates) }
            // No task failed or was cancelled by the stop; tasks without a Pod are queued, and nobody's claim.
            for task in tasks {
                #expect(!task.state.isFinal, "task \(task.id) ended \(task.state) \(task.reason ?? "") during the stop")
                if task.podName == nil {
                    #expect(task.state == .queued && task.controllerID == nil, "task \(task.id) \(task.state) held by \(task.controllerID ?? "-") without a Pod")
                }
            }
        }

        /// The controller recorded its stop.
        func checkStopRecorded(id: String = "shutdown-test", _ controller: ChildProcess) async throws {
            let record = try await store.controllers().first { $0.id == id }
            #expect(record?.stoppedAt != nil, """
                the controller's stop was not recorded: \(String(describing: record))
                \(controller.outputTail(lines: 20))
                """)
        }
    }

    static func withScenario(mode: String, _ body: (Scenario) async throws -> Void) async throws {
        let directory = try TemporaryDirectory(prefix: "shutdown-\(mode)")
        let sim = try await SimProcess.start(directory: directory.path, extraArguments: ["--mode", mode])
        let database = directory.file("tasks.sqlite")
        let store = try await TaskStore.open(database, logger: Logger.test())
        let result: Result<Void, any Error>
        do {
            try await body(Scenario(directory: directory, sim: sim, store: store, database: database))
            result = .success(())
        } catch {
            result = .failure(error)
        }
        try? await store.close()
        await sim.stop()
        if case .success = result { directory.remove() } else { print("shutdown test files kept in \(directory.path)") }
        try result.get()
    }

    @Test("SIGTERM with 200 running Pods exits 0 within the grace period; the store and the audit log agree",
          arguments: ["scripted", "exec"])
    func runningPods(mode: String) async throws {
        try await Self.withScenario(mode: mode) { scenario in
            try await scenario.submit(200, seconds: 900)
            let controller = try scenario.startController()
            try await scenario.waitForCounts("200 running tasks", controller: controller) { $0[.running] == 200 }
            let (took, status) = try await scenario.terminate(controller)
            print("\(mode): SIGTERM with 200 running Pods → exit \(status) after \(took)")
            #expect(status == .exited(0), "\(controller.outputTail(lines: 20))")
            #expect(took < .seconds(Self.grace), "the stop took \(took) with nothing in flight")
            #expect(controller.output().contains("controller stopped"), "\(controller.outputTail(lines: 20))")
            try await scenario.checkConsistency(expectCreates: 200)
            try await scenario.checkStopRecorded(controller)
            let counts = try await scenario.store.counts()
            #expect(counts[.running] == 200, "\(counts)")
        }
    }

    @Test("SIGTERM to the leader: it drains, records its stop, releases its Lease, and the standby leads at once")
    func leaderReleasesLease() async throws {
        try await Self.withScenario(mode: "scripted") { scenario in
            try await scenario.submit(20, seconds: 900)
            let lease = ["--leader-elect", "--lease-name", "shutdown-lease", "--lease-duration", "30"]
            let leader = try scenario.startController(id: "leader", extra: lease)
            try await scenario.waitForCounts("20 running tasks", controller: leader) { $0[.running] == 20 }
            let standby = try scenario.startController(id: "standby", extra: lease)
            let client = try scenario.sim.client(logger: Logger.test())
            let held = try await client.lease(name: "shutdown-lease", namespace: "default")
            #expect(held.spec.holderIdentity == "leader")
            #expect(!standby.output().contains("controller starting"), "the standby runs beside the leader:\n\(standby.outputTail())")
            let (took, status) = try await scenario.terminate(leader)
            #expect(status == .exited(0), "\(leader.outputTail(lines: 20))")
            #expect(took < .seconds(Self.grace), "the stop took \(took)")
            try await scenario.checkStopRecorded(id: "leader", leader)
            // Released, not left to expire: the standby (lease duration 30 s) takes over well within it.
            let start = ContinuousClock.now
            _ = try await standby.waitForOutput(containing: "controller starting", timeout: .seconds(20))
            #expect(ContinuousClock.now - start < .seconds(20))
            let now = try await client.lease(name: "shutdown-lease", namespace: "default")
            #expect(now.spec.holderIdentity == "standby", "\(now.spec)")
            let (_, standbyStatus) = try await scenario.terminate(standby)
            #expect(standbyStatus == .exited(0))
        }
    }

    @Test("SIGTERM while creates are in flight: they finish and are recorded; a restart runs every task with one Pod")
    func createsInFlight() async throws {
        try await Self.withScenario(mode: "scripted") { scenario in
            // Every API request takes 2 s: the creates are in flight when SIGTERM arrives.
            try await scenario.sim.setFaults(["latencyMilliseconds": 2000])
            try await scenario.submit(60, seconds: 1)
            let controller = try scenario.startController()
            let store = scenario.store
            let claimed = try await eventually(timeout: .seconds(60), every: .milliseconds(20)) {
                try await store.tasks(state: .queued).contains { $0.controllerID != nil }
            }
            #expect(claimed, "the controller claimed nothing: \(controller.outputTail(lines: 20))")
            let (_, status) = try await scenario.terminate(controller)
            #expect(status == .exited(0), "\(controller.outputTail(lines: 20))")
            try await scenario.checkStopRecorded(controller)
            let launched = try await store.tasks().filter { $0.podName != nil }.count
            #expect(launched > 0, "no create in flight finished: \(controller.outputTail(lines: 20))")
            try await scenario.checkConsistency()

            // The same controller again, without faults: every task runs once, with exactly one Pod create each.
            try await scenario.sim.setFaults([:], replacing: true)
            let again = try scenario.startController()
            try await scenario.waitForCounts("60 successes", controller: again) { $0[.success] == 60 }
            let (_, statusAgain) = try await scenario.terminate(again)
            #expect(statusAgain == .exited(0))
            let audit = try AuditLogFile(path: scenario.sim.auditLogPath)
            #expect(audit.successfulCreates.count == 60)
            #expect(audit.successfulCreates.values.allSatisfy { $0.count == 1 })
        }
    }
}
