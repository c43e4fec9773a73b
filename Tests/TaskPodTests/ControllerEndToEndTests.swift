import Foundation
import JSON
import KubeClient
import KubeSim
import Logging
@testable import TaskPod
import TaskPodMetrics
import KubeSimTestKit
import TestSupport
import TaskStore
import Testing

@Suite("Controller end to end against KubeSim")
struct ControllerEndToEndTests {
    /// Runs a controller over a fresh SQLite store and a KubeSim until `body` returns.
    static func withController(
        sim simConfiguration: KubeSimConfiguration,
        configure: @Sendable (inout ControllerConfiguration) -> Void = { _ in },
        _ body: @Sendable (TaskStore, RunningSim) async throws -> Void
    ) async throws {
        try await withRunningController(sim: simConfiguration, configure: configure) { _, store, sim in try await body(store, sim) }
    }

    /// Runs a controller over a fresh SQLite store and a KubeSim until `body` returns; its figures go to `metrics`.
    static func withRunningController(
        sim simConfiguration: KubeSimConfiguration,
        metrics: TaskPodMetrics = TaskPodMetrics(),
        configure: @Sendable (inout ControllerConfiguration) -> Void = { _ in },
        _ body: @Sendable (Controller, TaskStore, RunningSim) async throws -> Void
    ) async throws {
        try await withKubeSim(simConfiguration, clientMeters: metrics.clientMeters) { sim in
            let store = try await TaskStore.open(sim.directory.file("tasks.sqlite"), logger: .test())
            var configuration = ControllerConfiguration(controllerID: "test-controller")
            configuration.pollInterval = .milliseconds(50)
            configuration.resyncInterval = .milliseconds(500)
            configure(&configuration)
            let controller = try Controller(
                configuration: configuration, store: store, client: sim.client, logger: .test("controller"),
                meters: metrics.controllerMeters
            )
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await controller.run() }
                do {
                    try await body(controller, store, sim)
                } catch {
                    group.cancelAll()
                    throw error
                }
                group.cancelAll()
            }
            try await store.close()
        }
    }

    static func waitForFinal(_ store: TaskStore, ids: [Int64], timeout: Duration = .seconds(30)) async throws -> [TaskInstance] {
        let done = try await eventually(timeout: timeout) {
            for id in ids where !(try await store.task(id: id)?.state.isFinal ?? false) { return false }
            return true
        }
        #expect(done, "tasks did not end in time")
        var tasks: [TaskInstance] = []
        for id in ids { tasks.append(try #require(try await store.task(id: id))) }
        return tasks
    }

    static func key(_ task: String) -> TaskKey { TaskKey(dagID: "e2e", taskID: task, runID: "r1") }

    @Test("exec mode: success and a non-zero exit; logs kept after the Pods are deleted")
    func execMode() async throws {
        try await Self.withController(sim: KubeSimConfiguration(mode: .exec), configure: { $0.deleteWorkerPodsOnFailure = true }) { store, sim in
            let ok = try await store.submit(key: Self.key("ok"), spec: TaskSpec(command: ["/bin/sh", "-c", "echo hello; echo world"]))
            let bad = try await store.submit(key: Self.key("bad"), spec: TaskSpec(command: ["/bin/sh", "-c", "echo failing >&2; exit 3"]))
            let tasks = try await Self.waitForFinal(store, ids: [ok.id, bad.id])
            #expect(tasks[0].state == .success)
            #expect(tasks[0].reason == nil)
            #expect(tasks[1].state == .failed)
            #expect(tasks[1].reason == "Error, exit code 3")

            // The Pods are deleted, their logs are not.
            #expect(await eventually { await sim.sim.pods().isEmpty })
            let okLog = try await store.log(id: ok.id)
            #expect(okLog.contains("hello\nworld\n"))
            #expect(okLog.contains("ended Succeeded"))
            let badLog = try await store.log(id: bad.id)
            #expect(badLog.contains("failing"))
            #expect(badLog.contains("Error, exit code 3"))

            let events = try await store.events(id: ok.id)
            #expect(events.map(\.to) == [.queued, .launched, .running, .success])
            #expect(events.contains { $0.node == "kubesim-node-1" })
        }
    }

    @Test("scripted mode: OOMKilled, exit codes, log lines; failed Pods kept and labelled done by default")
    func scripted() async throws {
        try await Self.withController(sim: KubeSimConfiguration(mode: .scripted)) { store, sim in
            func annotated(_ annotations: JSONValue) -> JSONValue { ["metadata": ["annotations": annotations]] }
            let oom = try await store.submit(key: Self.key("oom"), spec: TaskSpec(command: ["x"], podOverride: annotated(["kubesim.taskpod.io/oom": "true"])))
            let exit7 = try await store.submit(key: Self.key("exit7"), spec: TaskSpec(command: ["x"], podOverride: annotated([
                "kubesim.taskpod.io/exit-code": "7", "kubesim.taskpod.io/log": "one\ntwo\nthree",
            ])))
            let fine = try await store.submit(key: Self.key("fine"), spec: TaskSpec(command: ["x"], podOverride: annotated(["kubesim.taskpod.io/log": "all good"])))
            let tasks = try await Self.waitForFinal(store, ids: [oom.id, exit7.id, fine.id])
            #expect(tasks[0].state == .failed)
            #expect(tasks[0].reason == "OOMKilled")
            #expect(tasks[1].reason == "Error, exit code 7")
            #expect(tasks[2].state == .success, "\(tasks[2].reason ?? "")")
            let log = try await store.log(id: exit7.id)
            #expect(log.contains("one\ntwo\nthree"))
            #expect(try await store.log(id: fine.id).contains("all good"))

            // Failed Pods stay for debugging, labelled done; the successful one is deleted.
            let kept = await eventually {
                let pods = await sim.sim.pods()
                let names = Set(pods.compactMap { $0[path: "metadata", "name"]?.stringValue })
                let done = pods.allSatisfy { $0[path: "metadata", "labels", "airflow_executor_done"] == "True" }
                return names == [tasks[0].podName!, tasks[1].podName!] && done
            }
            #expect(kept)
        }
    }

    @Test("parallelism bounds the Pods alive at once, and every task still ends")
    func parallelism() async throws {
        var sim = KubeSimConfiguration(mode: .scripted)
        sim.defaultRunTime = .milliseconds(200)
        try await Self.withController(sim: sim, configure: { $0.parallelism = 3 }) { store, running in
            var ids: [Int64] = []
            for index in 0..<12 { ids.append(try await store.submit(key: Self.key("p\(index)"), spec: TaskSpec(command: ["x"])).id) }
            let done = try await eventually(timeout: .seconds(30), every: .milliseconds(20)) {
                try await store.counts()[.success] == 12
            }
            let summary = try await store.tasks().map { "\($0.state) \($0.reason ?? "")" }
            #expect(done, "\(summary)")
            // The most tasks launched or running at once, replayed from every recorded transition (a sample of the
            // counts could miss a peak): at most 3, and 3 reached, 12 tasks being queued at once.
            var changes: [(at: Double, delta: Int)] = []
            for id in ids {
                for event in try await store.events(id: id) {
                    let was = event.from == .launched || event.from == .running
                    let now = event.to == .launched || event.to == .running
                    if was != now { changes.append((event.at, now ? 1 : -1)) }
                }
            }
            var active = 0
            var maxActive = 0
            for change in changes.sorted(by: { ($0.at, $0.delta) < ($1.at, $1.delta) }) {
                active += change.delta
                maxActive = max(maxActive, active)
            }
            #expect(changes.count == 24, "each task became active and ended once")
            #expect(maxActive == 3)
            // One Pod create per task in the audit log.
            let creates = await running.sim.auditEntries().filter { $0["verb"] == "create" && $0["code"] == 201 }
            #expect(creates.count == 12)
        }
    }

    @Test("the cache keeps the slim view of a running Pod: no image, command or unread labels, and the task still runs and ends")
    func cacheKeepsTheView() async throws {
        try await Self.withRunningController(sim: KubeSimConfiguration(mode: .scripted)) { controller, store, _ in
            let task = try await store.submit(key: Self.key("viewed"), spec: TaskSpec(
                command: ["run", "--long-argument"], image: "registry.example/big:1",
                podOverride: ["metadata": ["annotations": ["kubesim.taskpod.io/run-seconds": "2"]]]))
            #expect(try await eventually { try await store.task(id: task.id)?.state == .running })
            let pod = try #require(controller.cache.allPods.first)
            #expect(pod.metadata.annotations == [PodBuilder.taskIDAnnotation: "\(task.id)"])
            #expect(pod.metadata.labels == nil)
            #expect(pod.spec?.containers == [Container(name: PodBuilder.baseContainer)])
            #expect(pod.status?.phase == .running)
            #expect(pod.status?.podIP == nil && pod.status?.containerStatuses?.first?.image == nil)
            let ended = try await Self.waitForFinal(store, ids: [task.id])
            #expect(ended[0].state == .success)
        }
    }

    @Test("cancel deletes the running Pod and ends the task cancelled")
    func cancel() async throws {
        try await Self.withController(sim: KubeSimConfiguration(mode: .exec)) { store, sim in
            let task = try await store.submit(key: Self.key("long"), spec: TaskSpec(command: ["/bin/sh", "-c", "echo started; sleep 30"]))
            #expect(try await eventually { try await store.task(id: task.id)?.state == .running })
            _ = try await store.requestCancel(id: task.id)
            let ended = try await Self.waitForFinal(store, ids: [task.id], timeout: .seconds(15))
            #expect(ended[0].state == .cancelled)
            #expect(await eventually { await sim.sim.pods().isEmpty })
        }
    }

    @Test("an invalid override fails the task with a reason, no Pod is created")
    func invalidOverride() async throws {
        try await Self.withController(sim: KubeSimConfiguration(mode: .scripted)) { store, sim in
            let override: JSONValue = ["spec": ["containers": [["name": "base", "resources": ["limits": ["memory": "1.5Gb"]]]]]]
            let task = try await store.submit(key: Self.key("bad-override"), spec: TaskSpec(command: ["x"], podOverride: override))
            let ended = try await Self.waitForFinal(store, ids: [task.id])
            #expect(ended[0].state == .failed)
            #expect(ended[0].reason?.hasPrefix("InvalidPodOverride: spec.containers[base].resources.limits.memory") == true)
            #expect(await sim.sim.pods().isEmpty)
        }
    }

    @Test("a Pod that already exists for the same try is adopted, not duplicated")
    func adoptOnConflict() async throws {
        try await Self.withController(sim: KubeSimConfiguration(mode: .scripted), configure: { $0.controllerID = "ctl-b" }) { store, sim in
            // Submit, then create the Pod as an earlier controller run would have, before this one claims it.
            let key = Self.key("adopt")
            let task = try await store.submit(key: key, spec: TaskSpec(command: ["x"]))
            let builder = PodBuilder(defaultNamespace: "default", defaultImage: nil, controllerID: "ctl-b")
            _ = try await sim.client.createPod(try builder.build(id: task.id, key: key, spec: task.spec))
            let ended = try await Self.waitForFinal(store, ids: [task.id])
            #expect(ended[0].state == .success, "\(ended[0].reason ?? "")")
            let creates = await sim.sim.auditEntries().filter { $0["verb"] == "create" }
            #expect(creates.map { $0["code"]?.intValue } == [201, 409], "the test's create and the controller's 409")
        }
    }
}
