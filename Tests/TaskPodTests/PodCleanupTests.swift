import Foundation
import JSON
import KubeClient
import KubeSim
import KubeSimTestKit
import TaskPod
import TaskStore
import TestSupport
import Testing

@Suite("cleanup-pods: the Pods of ended tasks go, live tasks' stay")
struct PodCleanupTests {
    /// One Pod of the scenario: its task's state in the store (nil: no such task), how it runs, whose it is.
    struct Case {
        var name: String
        var state: TaskState?
        var exitCode: Int?
        var controller = "test-controller"
        var done = false
    }

    static let cases = [
        Case(name: "kept-failure", state: .failed, exitCode: 1, done: true),
        Case(name: "left-success", state: .success, exitCode: 0),
        Case(name: "left-cancelled", state: .cancelled, exitCode: nil),
        Case(name: "live-running", state: .running, exitCode: nil),
        Case(name: "live-launched", state: .launched, exitCode: 0),
        Case(name: "live-queued", state: .queued, exitCode: 1, done: true),
        Case(name: "unknown-ended", state: nil, exitCode: 0, controller: "other-controller"),
        Case(name: "unknown-ours", state: nil, exitCode: nil),
        Case(name: "unknown-foreign", state: nil, exitCode: nil, controller: "other-controller"),
    ]
    static let deleted: Set<String> = ["kept-failure", "left-success", "left-cancelled", "unknown-ended", "unknown-ours"]

    /// Creates every case's task and Pod, and a Pod taskpod does not manage; waits until the ended ones ended.
    static func setUp(_ store: TaskStore, _ sim: RunningSim) async throws {
        try await store.registerController(id: "test-controller", host: nil)
        for (index, item) in cases.enumerated() {
            let key = TaskKey(dagID: "cleanup", taskID: item.name, runID: "r1")
            var id = Int64(10_000 + index)
            if let state = item.state {
                let task = try await store.submit(key: key, spec: TaskSpec(command: ["true"]))
                id = task.id
                if state != .queued {
                    _ = try await store.transition(id: id, from: [.queued], to: state, reason: state == .failed ? "exit 1" : nil,
                                                   podName: item.name, podNamespace: "default", controllerID: "test-controller")
                }
            }
            let runSeconds = item.exitCode == nil ? "3600" : "0"
            let override: JSONValue = [
                "metadata": ["annotations": [
                    "kubesim.taskpod.io/run-seconds": .string(runSeconds),
                    "kubesim.taskpod.io/exit-code": .string(String(item.exitCode ?? 0)),
                ]],
            ]
            let builder = PodBuilder(defaultNamespace: "default", defaultImage: "busybox", controllerID: item.controller)
            var pod = try builder.build(id: id, key: key, spec: TaskSpec(command: ["true"], podOverride: override))
            pod[path: "metadata", "name"] = .string(item.name)
            _ = try await sim.client.createPod(pod)
            if item.done {
                _ = try await sim.client.patchPod(name: item.name, patch: ["metadata": ["labels": [PodBuilder.doneLabel: "True"]]])
            }
        }
        _ = try await sim.client.createPod(["metadata": ["name": "not-ours"], "spec": ["containers": [["name": "c", "image": "busybox"]]]])
        let ended = try await eventually(timeout: .seconds(20)) {
            let pods = try await sim.client.listAllPods(namespace: "default").items
            let endedNames = Set(pods.filter { $0.phase == .succeeded || $0.phase == .failed }.map(\.name))
            let running = Set(pods.filter { $0.phase == .running }.map(\.name))
            return cases.allSatisfy { $0.exitCode == nil ? running.contains($0.name) : endedNames.contains($0.name) }
        }
        try #require(ended, "the Pods did not reach their phases")
    }

    @Test("a dry run lists exactly the Pods of final or unknown tasks, with why; deleting removes only those")
    func cleanup() async throws {
        try await withKubeSim { sim in
            let store = try await TaskStore.open(sim.directory.file("tasks.sqlite"), logger: .test())
            try await Self.setUp(store, sim)
            let cleanup = PodCleanup(client: sim.client, store: store, logger: .test("cleanup"))

            #expect(try await cleanup.candidates(scope: .namespace("default"), minAge: .seconds(3600)).isEmpty)
            #expect(try await cleanup.candidates(scope: .namespace("elsewhere")).isEmpty)

            let candidates = try await cleanup.candidates(scope: .allNamespaces)
            #expect(Set(candidates.map(\.name)) == Self.deleted)
            let reasons = Dictionary(uniqueKeysWithValues: candidates.map { ($0.name, $0.reason) })
            #expect(reasons["kept-failure"] == "task failed; Pod kept (airflow_executor_done=True)")
            #expect(reasons["left-success"] == "task success; Pod left behind")
            #expect(reasons["unknown-ended"] == "task unknown to the store; Pod ended")
            #expect(reasons["unknown-ours"] == "task unknown to the store; its controller test-controller is this store's")
            #expect(candidates.first { $0.name == "kept-failure" }?.phase == "Failed")
            // Listing deleted nothing.
            #expect(try await sim.client.listAllPods(namespace: "default").items.count == Self.cases.count + 1)

            try await cleanup.delete(candidates)
            let left = Set(try await sim.client.listAllPods(namespace: "default").items.filter { $0.metadata.deletionTimestamp == nil }.map(\.name))
            #expect(left == Set(Self.cases.map(\.name)).subtracting(Self.deleted).union(["not-ours"]))
            // Deleting again finds nothing more (and a Pod deleted meanwhile is no error).
            try await cleanup.delete(candidates)
            try await store.close()
        }
    }
}
