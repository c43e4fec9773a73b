import Foundation
import JSON
import KubeClient
import KubeSim
import Logging
import TaskPod
import KubeSimTestKit
import TestSupport
import TaskStore
import Testing

@Suite("Controller: adoption, timeouts, limits, followed logs")
struct ControllerRecoveryTests {
    typealias E2E = ControllerEndToEndTests

    static func annotated(_ annotations: JSONValue) -> JSONValue { ["metadata": ["annotations": annotations]] }

    @Test("a dead peer's work is adopted: its running Pod, a Pod that ended unwatched, and a lost Pod")
    func adoptDeadPeer() async throws {
        var sim = KubeSimConfiguration(mode: .scripted)
        sim.defaultRunTime = .milliseconds(300)
        try await withKubeSim(sim) { running in
            let store = try await TaskStore.open(running.directory.file("tasks.sqlite"), logger: .test())
            // A controller "ghost" launched three tasks, then died (its heartbeat is old).
            try await store.registerController(id: "ghost", host: "gone")
            let ghostBuilder = PodBuilder(defaultNamespace: "default", defaultImage: "busybox", controllerID: "ghost")
            var ids: [String: Int64] = [:]
            for (name, annotations) in [("long", ["kubesim.taskpod.io/run-seconds": "1.5", "kubesim.taskpod.io/log": "long done"]),
                                        ("quick", ["kubesim.taskpod.io/run-seconds": "0.1", "kubesim.taskpod.io/log": "quick done"]),
                                        ("lost", [:])] as [(String, [String: String])] {
                var object = JSONObject()
                for (key, value) in annotations { object[key] = .string(value) }
                let key = TaskKey(dagID: "adopt", taskID: name, runID: "r")
                let task = try await store.submit(key: key, spec: TaskSpec(command: ["x"], podOverride: Self.annotated(.object(object))))
                ids[name] = task.id
                _ = try await store.claimQueued(limit: 1, controllerID: "ghost")
                let pod = try ghostBuilder.build(id: task.id, key: key, spec: task.spec)
                let podName = pod[path: "metadata", "name"]!.stringValue!
                if name != "lost" { _ = try await running.client.createPod(pod) }
                _ = try await store.transition(id: task.id, from: [.queued], to: .launched, podName: podName, podNamespace: "default", controllerID: "ghost")
            }
            // Let "quick" end while nobody watches.
            #expect(await eventually { await running.sim.pods().contains { $0[path: "status", "phase"] == "Succeeded" } })

            var configuration = ControllerConfiguration(controllerID: "heir")
            configuration.pollInterval = .milliseconds(50)
            configuration.resyncInterval = .milliseconds(300)
            configuration.adoptionInterval = .milliseconds(200)
            configuration.heartbeatInterval = .seconds(1)
            configuration.heartbeatTimeout = .seconds(5)
            configuration.podLostGrace = .milliseconds(100)
            configuration.exclusive = true  // the ghost is dead at once
            let controller = try Controller(configuration: configuration, store: store, client: running.client, logger: .test("heir"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await controller.run() }
                let ended = try await E2E.waitForFinal(store, ids: [ids["long"]!, ids["quick"]!, ids["lost"]!])
                #expect(ended[0].state == .success, "\(ended[0].reason ?? "")")
                #expect(ended[1].state == .success, "\(ended[1].reason ?? "")")
                #expect(ended[2].state == .failed)
                #expect(ended[2].reason == "PodLost")
                #expect(ended.allSatisfy { $0.controllerID == "heir" })
                #expect(try await store.log(id: ids["long"]!).contains("long done"))
                #expect(try await store.log(id: ids["quick"]!).contains("quick done"))
                let creates = await running.sim.auditEntries().filter { $0["verb"] == "create" }
                #expect(creates.count == 2, "adoption creates nothing")
                let patches = await running.sim.auditEntries().filter { $0["verb"] == "patch" }
                #expect(patches.count >= 2, "the adopted Pods were relabelled")
                group.cancelAll()
            }
            try await store.close()
        }
    }

    @Test("a Pod Pending past worker_pods_pending_timeout is deleted and its task fails with the scheduler's reason")
    func pendingTimeout() async throws {
        try await E2E.withController(sim: KubeSimConfiguration(mode: .scripted), configure: {
            $0.workerPodsPendingTimeout = .milliseconds(800)
        }) { store, sim in
            let task = try await store.submit(key: E2E.key("unschedulable"), spec: TaskSpec(
                command: ["x"], podOverride: Self.annotated(["kubesim.taskpod.io/unschedulable": "true"])))
            let ended = try await E2E.waitForFinal(store, ids: [task.id])
            #expect(ended[0].state == .failed)
            #expect(ended[0].reason?.hasPrefix("PendingTimeout") == true, "\(ended[0].reason ?? "")")
            #expect(ended[0].reason?.contains("Unschedulable") == true, "\(ended[0].reason ?? "")")
            #expect(await eventually { await sim.sim.pods().isEmpty })
            // The task log alone says why: the scheduler's Warning event, kept after the Pod was deleted.
            let log = try await store.log(id: task.id)
            #expect(log.contains("Warning events of Pod \(ended[0].podName ?? "?")"), "\(log)")
            #expect(log.contains("FailedScheduling"), "\(log)")
        }
    }

    @Test("an image that cannot be pulled fails the task after the grace, with the kubelet's message")
    func imagePull() async throws {
        try await E2E.withController(sim: KubeSimConfiguration(mode: .scripted), configure: {
            $0.imagePullGrace = .milliseconds(500)
        }) { store, _ in
            let task = try await store.submit(key: E2E.key("pull"), spec: TaskSpec(
                command: ["x"], podOverride: Self.annotated(["kubesim.taskpod.io/image-pull-error": "true"])))
            let ended = try await E2E.waitForFinal(store, ids: [task.id])
            #expect(ended[0].state == .failed)
            #expect(ended[0].reason?.contains("ImagePull") == true || ended[0].reason?.contains("ErrImagePull") == true, "\(ended[0].reason ?? "")")
            let log = try await store.log(id: task.id)
            #expect(log.contains("Warning events of Pod"), "\(log)")
            #expect(log.contains("  Failed  "), "the kubelet's Failed event is missing:\n\(log)")
            #expect(!log.contains("  Scheduled  "), "only Warning events belong in the log:\n\(log)")
        }
    }

    @Test("a task queued past task_queued_timeout fails QueuedTimeout; the one holding the slot is unharmed")
    func queuedTimeout() async throws {
        try await E2E.withController(sim: KubeSimConfiguration(mode: .scripted), configure: {
            $0.parallelism = 1
            // Wide enough that a loaded machine still launches the first task in time; the second waits past it.
            $0.taskQueuedTimeout = .seconds(5)
        }) { store, _ in
            let slow = try await store.submit(key: E2E.key("slow"), spec: TaskSpec(
                command: ["x"], podOverride: Self.annotated(["kubesim.taskpod.io/run-seconds": "9"])))
            #expect(try await eventually(timeout: .seconds(5)) {
                [.launched, .running].contains(try await store.task(id: slow.id)?.state)
            })
            let waiting = try await store.submit(key: E2E.key("waiting"), spec: TaskSpec(command: ["x"]))
            let ended = try await E2E.waitForFinal(store, ids: [slow.id, waiting.id])
            #expect(ended[0].state == .success, "\(ended[0].reason ?? "")")
            #expect(ended[1].state == .failed, "\(ended[1].reason ?? "")")
            #expect(ended[1].reason?.hasPrefix("QueuedTimeout") == true, "\(ended[1].reason ?? "")")
        }
    }

    @Test("per-DAG limits: at most max_active_tasks of one DAG live at once, other DAGs unaffected")
    func perDagLimit() async throws {
        var sim = KubeSimConfiguration(mode: .scripted)
        sim.defaultRunTime = .milliseconds(300)
        try await E2E.withController(sim: sim, configure: { $0.maxActiveTasksByDag = ["busy": 1]; $0.parallelism = 10 }) { store, _ in
            var ids: [Int64] = []
            for index in 0..<4 {
                ids.append(try await store.submit(key: TaskKey(dagID: "busy", taskID: "t\(index)", runID: "r"), spec: TaskSpec(command: ["x"])).id)
            }
            ids.append(try await store.submit(key: TaskKey(dagID: "free", taskID: "t", runID: "r"), spec: TaskSpec(command: ["x"])).id)
            var maxBusy = 0
            var sawWhy = false
            let done = try await eventually(timeout: .seconds(30), every: .milliseconds(20)) {
                let tasks = try await store.tasks()
                maxBusy = max(maxBusy, tasks.filter { $0.key.dagID == "busy" && ($0.state == .launched || $0.state == .running) }.count)
                sawWhy = sawWhy || tasks.contains { $0.state == .queued && $0.reason?.hasPrefix("Waiting: DAG busy") == true }
                return tasks.allSatisfy { $0.state == .success }
            }
            #expect(done)
            #expect(maxBusy == 1)
            #expect(sawWhy, "a task held back by the limit says why")
        }
    }

    @Test("running Pods' logs are followed into the task log, and kept when the Pod is deleted under the task")
    func followedLog() async throws {
        try await E2E.withController(sim: KubeSimConfiguration(mode: .exec)) { store, sim in
            let task = try await store.submit(key: E2E.key("talker"), spec: TaskSpec(
                command: ["/bin/sh", "-c", "echo first line; echo second line; sleep 30"]))
            #expect(try await eventually(timeout: .seconds(10)) { try await store.log(id: task.id).contains("second line") })
            // Someone deletes the Pod (an eviction, a node drain): the task fails, its log stays.
            let name = try #require(try await store.task(id: task.id)?.podName)
            try await sim.client.deletePod(name: name, gracePeriodSeconds: 0)
            let ended = try await E2E.waitForFinal(store, ids: [task.id])
            #expect(ended[0].state == .failed)
            #expect(ended[0].reason == "PodDeleted" || ended[0].reason?.contains("Error") == true, "\(ended[0].reason ?? "")")
            let log = try await store.log(id: task.id)
            #expect(log.contains("first line"))
            #expect(log.contains("second line"))
        }
    }

    @Test("a followed log that saw its container end is not read again: create, one log read, delete")
    func followedLogIsReadOnce() async throws {
        try await E2E.withController(sim: KubeSimConfiguration(mode: .exec)) { store, sim in
            let task = try await store.submit(key: E2E.key("once"), spec: TaskSpec(
                command: ["/bin/sh", "-c", "echo first line; sleep 1; echo last line"]))
            // Followed while it runs (the first line is stored before the Pod ends).
            #expect(try await eventually(timeout: .seconds(10)) { try await store.log(id: task.id).contains("first line") })
            let ended = try await E2E.waitForFinal(store, ids: [task.id])
            #expect(ended[0].state == .success)
            let log = try await store.log(id: task.id)
            #expect(log.components(separatedBy: "first line").count == 2, "each line once:\n\(log)")
            #expect(log.components(separatedBy: "last line").count == 2, "each line once:\n\(log)")
            #expect(log.contains("ended Succeeded"))
            let pod = try #require(ended[0].podName)
            #expect(await eventually { await sim.sim.pods().isEmpty })
            let requests = await sim.sim.auditEntries().filter { $0["pod"]?.stringValue == pod }
            let verbs = requests.compactMap { entry -> String? in
                guard let verb = entry["verb"]?.stringValue else { return nil }
                return entry["path"]?.stringValue?.hasSuffix("/log") == true ? "log" : verb
            }
            #expect(verbs == ["create", "log", "delete"], "requests for the Pod: \(verbs)")
        }
    }

    @Test("at most maxFollowedLogs logs are followed at once; the next one starts when a followed Pod ends")
    func followedLogsAreBounded() async throws {
        try await E2E.withController(sim: KubeSimConfiguration(mode: .exec), configure: { $0.maxFollowedLogs = 1 }) { store, sim in
            var submitted: [Int64] = []
            for index in 0..<3 {
                submitted.append(try await store.submit(key: E2E.key("talker-\(index)"), spec: TaskSpec(
                    command: ["/bin/sh", "-c", "echo line of \(index); sleep 30"])).id)
            }
            let ids = submitted
            @Sendable func followedNow() async throws -> [Int64] {
                var followed: [Int64] = []
                for (index, id) in ids.enumerated() where try await store.log(id: id).contains("line of \(index)") { followed.append(id) }
                return followed
            }
            #expect(try await eventually(timeout: .seconds(10)) { try await followedNow().count == 1 })
            #expect(try await eventually(timeout: .seconds(10)) { try await store.tasks(in: [.running]).count == 3 })
            // A follow starts with a log request, which the simulator audits as it begins to stream: the Pods whose
            // log was requested so far, one entry per request, in order.
            @Sendable func logRequests() async -> [String] {
                await sim.sim.auditEntries().compactMap { entry -> String? in
                    guard entry["verb"] == "get", entry["path"]?.stringValue?.hasSuffix("/log") == true else { return nil }
                    return entry["pod"]?.stringValue
                }
            }
            // The reconcile that records a task running asks for its log at once, and each resync (every 500 ms here)
            // asks again; a follower not held to the bound opens its stream within moments. So the one negative wait,
            // begun after all three were recorded running: two resyncs. The order of the requests is then the proof.
            try await Task.sleep(for: .seconds(1))
            let first = try await followedNow()
            #expect(first.count == 1, "followed: \(first)")
            let name = try #require(try await store.task(id: first[0])?.podName)
            let beforeDelete = await logRequests()
            #expect(Set(beforeDelete) == [name], "only the followed Pod's log was requested: \(beforeDelete)")
            // Its Pod ends; its final log is read, and the slot goes to another running task.
            try await sim.client.deletePod(name: name, gracePeriodSeconds: 0)
            #expect(try await eventually(timeout: .seconds(10)) { try await followedNow().count == 2 })
            let afterDelete = await logRequests().dropFirst(beforeDelete.count).filter { $0 != name }
            #expect(Set(afterDelete).count == 1, "one more Pod followed, after the delete: \(afterDelete)")
        }
    }

    @Test("the task log has every container the Pod's taskpod.io/log-containers annotation asks for, in order")
    func severalContainers() async throws {
        try await E2E.withController(sim: KubeSimConfiguration(mode: .scripted)) { store, _ in
            let override: JSONValue = [
                "metadata": ["annotations": [
                    "taskpod.io/log-containers": "base, sidecar",
                    "kubesim.taskpod.io/log": "from the base container",
                ]],
                "spec": ["containers": [["name": "sidecar", "image": "busybox:1.36"]]],
            ]
            let task = try await store.submit(key: E2E.key("two"), spec: TaskSpec(command: ["x"], podOverride: override))
            let ended = try await E2E.waitForFinal(store, ids: [task.id])
            #expect(ended[0].state == .success, "\(ended[0].reason ?? "")")
            let log = try await store.log(id: task.id)
            let base = try #require(log.range(of: "--- container base ---\nfrom the base container\n"), "\(log)")
            let sidecar = try #require(log.range(of: "--- container sidecar ---\n"), "\(log)")
            #expect(base.upperBound <= sidecar.lowerBound)
            #expect(log.contains("task success"))
        }
    }
}
