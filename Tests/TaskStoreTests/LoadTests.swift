import Testing
@testable import TaskStore

@Suite("Active load and queued timeouts")
struct LoadTests {
    @Test("activeLoad counts launched, running and claimed queued tasks by DAG and namespace",
          arguments: StoreKind.allCases)
    func activeLoad(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            #expect(try await store.activeLoad() == ActiveLoad(total: 0, byDag: [:], byNamespace: [:]))

            func submit(_ n: Int, dag: String, namespace: String?) async throws -> Int64 {
                try await store.submit(key: key(n, dag: dag), spec: TaskSpec(command: ["x"], namespace: namespace)).id
            }
            // etl: a claimed queued task, no namespace ("" is the controller's default)
            let claimedDefault = try await submit(0, dag: "etl", namespace: nil)
            // etl: launched into a Pod namespace that differs from the spec's: the Pod's counts
            let launchedJobs = try await submit(1, dag: "etl", namespace: "spec-ns")
            // etl: running, only the spec's namespace known
            let runningSpec = try await submit(2, dag: "etl", namespace: "spec-ns")
            // etl: unclaimed queued, succeeded, failed: no slot
            _ = try await submit(3, dag: "etl", namespace: "spec-ns")
            let succeeded = try await submit(4, dag: "etl", namespace: "spec-ns")
            let failed = try await submit(5, dag: "etl", namespace: nil)
            // ml: launched with no namespace at all, cancelled, claimed queued in spec-ns
            let launchedDefault = try await submit(6, dag: "ml", namespace: nil)
            let cancelled = try await submit(7, dag: "ml", namespace: "spec-ns")
            let claimedSpec = try await submit(8, dag: "ml", namespace: "spec-ns")

            _ = try await store.claim(ids: [claimedDefault, claimedSpec, failed, cancelled], controllerID: "ctl")
            _ = try await store.transition(id: launchedJobs, from: [.queued], to: .launched, podName: "p1",
                                           podNamespace: "jobs")
            _ = try await store.transition(id: runningSpec, from: [.queued], to: .running)
            _ = try await store.transition(id: succeeded, from: [.queued], to: .success)
            _ = try await store.transition(id: failed, from: [.queued], to: .failed, reason: "QueuedTimeout")
            _ = try await store.requestCancel(id: cancelled)
            _ = try await store.transition(id: launchedDefault, from: [.queued], to: .launched)

            let load = try await store.activeLoad()
            #expect(load.total == 5)
            #expect(load.byDag == ["etl": 3, "ml": 2])
            #expect(load.byNamespace == ["": 2, "jobs": 1, "spec-ns": 2])

            // A task that finishes frees its slot; a released claim too.
            _ = try await store.transition(id: runningSpec, from: [.running], to: .success)
            try await store.releaseClaim(id: claimedSpec, controllerID: "ctl")
            #expect(try await store.activeLoad() == ActiveLoad(total: 3, byDag: ["etl": 2, "ml": 1],
                                                               byNamespace: ["": 2, "jobs": 1]))
        }
    }

    @Test("queuedTasks(queuedBefore:) lists the queued tasks older than a time, claimed or not",
          arguments: StoreKind.allCases)
    func queuedBefore(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let tasks = try await submitMany(store, count: 5)
            let ids = tasks.map(\.id)
            try #require(zip(tasks, tasks.dropFirst()).allSatisfy { $0.queuedAt < $1.queuedAt })
            _ = try await store.claim(ids: [ids[0]], controllerID: "ctl")
            _ = try await store.transition(id: ids[1], from: [.queued], to: .launched)
            _ = try await store.requestCancel(id: ids[2])

            #expect(try await store.queuedTasks(queuedBefore: tasks[3].queuedAt).map(\.id) == [ids[0]])
            #expect(try await store.queuedTasks(queuedBefore: tasks[4].queuedAt).map(\.id) == [ids[0], ids[3]],
                    "strictly before")
            #expect(try await store.queuedTasks(queuedBefore: tasks[4].queuedAt + 3_600).map(\.id)
                == [ids[0], ids[3], ids[4]])
            #expect(try await store.queuedTasks(queuedBefore: tasks[0].queuedAt).isEmpty)
            #expect(try await store.queuedTasks(queuedBefore: 0).isEmpty)
        }
    }
}
