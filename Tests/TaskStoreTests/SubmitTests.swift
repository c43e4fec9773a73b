import Foundation
import JSON
import Testing
@testable import TaskStore

@Suite("Submitting and reading tasks")
struct SubmitTests {
    static let richSpec = TaskSpec(
        command: ["bash", "-c", "echo \"it's a 'test'\" && printf '%s\\n' a\\ b", "with space", "", "naïve 日本語 🚀"],
        image: "registry.example.com/team/etl:1.2.3",
        namespace: "airflow-jobs",
        podOverride: [
            "metadata": ["labels": ["team": "données", "tier": "batch"], "annotations": ["note": "ünïcödé ✓ \"q\""]],
            "spec": [
                "containers": [
                    [
                        "name": "base",
                        "resources": ["limits": ["memory": "1.5Gi", "cpu": "500m"], "requests": ["cpu": 0.25]],
                        "env": [["name": "A", "value": "1"]],
                    ],
                ],
                "nodeSelector": ["disk": "ssd"],
                "tolerations": [],
                "priority": 7,
                "hostNetwork": false,
                "unset": nil,
            ],
        ],
        env: ["GREETING": "héllo wörld", "EMPTY": "", "QUOTES": "a \"b\" 'c'\n\tnext line"]
    )

    @Test("submit stores a queued task and every field reads back", arguments: StoreKind.allCases)
    func submitReadsBack(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, url in
            let key = TaskKey(dagID: "etl.daily", taskID: "load_ünïcode", runID: "scheduled__2024-01-01T00:00:00+00:00",
                              mapIndex: 3, tryNumber: 2)
            let before = Date().timeIntervalSince1970
            let submitted = try await store.submit(key: key, spec: Self.richSpec)
            let after = Date().timeIntervalSince1970

            #expect(submitted.id > 0)
            #expect(submitted.key == key)
            #expect(submitted.spec == Self.richSpec)
            #expect(submitted.state == .queued)
            #expect(submitted.reason == nil)
            #expect(submitted.podName == nil)
            #expect(submitted.podNamespace == nil)
            #expect(submitted.controllerID == nil)
            #expect(submitted.cancelRequested == false)
            #expect(submitted.queuedAt >= before && submitted.queuedAt <= after)
            #expect(submitted.updatedAt == submitted.queuedAt)
            #expect(submitted.launchedAt == nil && submitted.runningAt == nil && submitted.finishedAt == nil)

            #expect(try await store.task(id: submitted.id) == submitted)
            #expect(try await store.task(key: key) == submitted)
            #expect(try await store.task(id: submitted.id + 1000) == nil)
            #expect(try await store.task(key: TaskKey(dagID: "etl.daily", taskID: "other", runID: "r")) == nil)

            // Object key order in the override survives, not only equality.
            let read = try #require(try await store.task(id: submitted.id))
            #expect(read.spec.podOverride?.jsonString == Self.richSpec.podOverride?.jsonString)

            let events = try await store.events(id: submitted.id)
            #expect(events.count == 1)
            #expect(events.first?.from == nil)
            #expect(events.first?.to == .queued)
            #expect(events.first?.at == submitted.queuedAt)

            // And from another store object on the same file.
            let other = try await TaskStore.open(url, logger: quietLogger)
            #expect(try await other.task(id: submitted.id) == submitted)
            try await other.close()
        }
    }

    @Test("a per-task pod template round-trips: nested JSON, unicode, key order, numbers, nulls, large values",
          arguments: StoreKind.allCases)
    func podTemplateRoundTrip(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, url in
            let template: JSONValue = [
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": [
                    "labels": ["équipe": "données", "emoji": "🚀"],
                    "annotations": ["note": "日本語 \"quoted\" \\ back\\slash\n\ttab", "empty": ""],
                ],
                "spec": [
                    "zeta": 1, "alpha": 2,
                    "containers": [
                        [
                            "name": "base",
                            "image": "registry.example.com/ml/train:2.0",
                            "resources": ["limits": ["nvidia.com/gpu": 1, "memory": "16Gi"], "requests": ["cpu": 1.5]],
                            "volumeMounts": [["name": "data", "mountPath": "/data", "readOnly": true]],
                        ],
                        ["name": "sidecar", "args": [], "env": nil],
                    ],
                    "volumes": [["name": "data", "emptyDir": [:]]],
                    "terminationGracePeriodSeconds": -1,
                    "large": .string(String(repeating: "ä", count: 40_000)),
                ],
            ]
            let spec = TaskSpec(command: ["python", "train.py"], podOverride: ["spec": ["priority": 3]],
                                podTemplate: template)
            let submitted = try await store.submit(key: key(1), spec: spec)
            #expect(submitted.spec == spec)
            let read = try #require(try await store.task(id: submitted.id))
            #expect(read.spec.podTemplate == template)
            #expect(read.spec.podTemplate?.jsonString == template.jsonString, "key order survives")
            #expect(read.spec.podOverride == spec.podOverride)

            // nil stays nil, a JSON null stays null, and every listing reads the template too.
            let plain = try await store.submit(key: key(2), spec: simpleSpec)
            let null = try await store.submit(key: key(3), spec: TaskSpec(command: ["x"], podTemplate: .null))
            #expect(try await store.task(id: plain.id)?.spec.podTemplate == nil)
            #expect(try await store.task(id: null.id)?.spec.podTemplate == .null)
            #expect(try await store.tasks().map(\.spec.podTemplate) == [template, nil, .null])
            let other = try await TaskStore.open(url, logger: quietLogger)
            #expect(try await other.claimCandidates(limit: 1).first?.spec == spec)
            try await other.close()
        }
    }

    @Test("optional spec fields stay nil, a JSON null override stays null", arguments: StoreKind.allCases)
    func optionalFields(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let plain = try await store.submit(key: key(1), spec: TaskSpec(command: []))
            #expect(plain.spec == TaskSpec(command: []))
            #expect(plain.spec.image == nil && plain.spec.namespace == nil && plain.spec.podOverride == nil)
            #expect(plain.spec.env.isEmpty)

            let nullOverride = try await store.submit(key: key(2), spec: TaskSpec(command: ["x"], podOverride: .null))
            #expect(try await store.task(id: nullOverride.id)?.spec.podOverride == .null)
        }
    }

    @Test("submitting the same key again is a duplicate error naming the key and the existing id",
          arguments: StoreKind.allCases)
    func duplicateKey(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let first = try await store.submit(key: key(1), spec: simpleSpec)
            let error = try await #require(throws: TaskStoreError.self) {
                try await store.submit(key: key(1), spec: TaskSpec(command: ["other"]))
            }
            #expect(error.code == .duplicate)
            #expect(error.message.contains("id \(first.id)"))
            #expect(error.message.contains(key(1).description))
            #expect(error.message.contains("--try 2"))

            // The next try of the same task is a new key.
            let second = try await store.submit(key: key(1, tryNumber: 2), spec: simpleSpec)
            #expect(second.id != first.id)
            #expect(try await store.tasks().count == 2)
            #expect(try await store.task(id: first.id)?.spec == simpleSpec)
        }
    }

    @Test("concurrent submits of the same keys from two stores store each key once", arguments: StoreKind.allCases)
    func concurrentDuplicateSubmits(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, url in
            let other = try await TaskStore.open(url, logger: quietLogger)
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for n in 0..<40 {
                    for target in [store, other] {
                        group.addTask {
                            do {
                                _ = try await target.submit(key: key(n), spec: simpleSpec)
                                return true
                            } catch let error as TaskStoreError where error.code == .duplicate {
                                return false
                            }
                        }
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            try await other.close()
            #expect(outcomes.filter { $0 }.count == 40)
            #expect(outcomes.filter { !$0 }.count == 40)
            let tasks = try await store.tasks()
            #expect(Set(tasks.map(\.key)).count == 40)
            #expect(tasks.count == 40)
        }
    }

    @Test("invalid keys are refused at submit with the field named", arguments: StoreKind.allCases)
    func invalidInput(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let cases: [(TaskKey, TaskSpec, String)] = [
                (TaskKey(dagID: "", taskID: "t", runID: "r"), simpleSpec, "dag_id"),
                (TaskKey(dagID: "d", taskID: "", runID: "r"), simpleSpec, "task_id"),
                (TaskKey(dagID: "d", taskID: "t", runID: ""), simpleSpec, "run_id"),
                (TaskKey(dagID: "d", taskID: "t", runID: "r", tryNumber: 0), simpleSpec, "try_number"),
                (TaskKey(dagID: "d", taskID: "t", runID: "r", mapIndex: -2), simpleSpec, "map_index"),
                (TaskKey(dagID: "d", taskID: "t", runID: "r"), TaskSpec(command: ["x"], image: "a\u{0}b"), "image"),
            ]
            for (key, spec, field) in cases {
                let error = try await #require(throws: TaskStoreError.self) {
                    try await store.submit(key: key, spec: spec)
                }
                #expect(error.code == .invalidInput)
                #expect(error.message.contains(field), "\(error.message)")
            }
            #expect(try await store.tasks().isEmpty)
        }
    }

    @Test("tasks lists by state in id order with a limit; counts cover every state", arguments: StoreKind.allCases)
    func listAndCount(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            #expect(try await store.counts() == Dictionary(uniqueKeysWithValues: TaskState.allCases.map { ($0, 0) }))

            let tasks = try await submitMany(store, count: 6)
            let ids = tasks.map(\.id)
            #expect(ids == ids.sorted())
            _ = try await store.transition(id: ids[1], from: [.queued], to: .launched)
            _ = try await store.transition(id: ids[3], from: [.queued], to: .launched)
            _ = try await store.transition(id: ids[3], from: [.launched], to: .running)
            _ = try await store.transition(id: ids[4], from: [.queued], to: .failed, reason: "QueuedTimeout")

            #expect(try await store.tasks().map(\.id) == ids)
            #expect(try await store.tasks(limit: 2).map(\.id) == Array(ids.prefix(2)))
            #expect(try await store.tasks(limit: 0).isEmpty)
            #expect(try await store.tasks(state: .queued).map(\.id) == [ids[0], ids[2], ids[5]])
            #expect(try await store.tasks(state: .queued, limit: 2).map(\.id) == [ids[0], ids[2]])
            #expect(try await store.tasks(state: .launched).map(\.id) == [ids[1]])
            #expect(try await store.tasks(state: .success).isEmpty)
            #expect(try await store.tasks(in: [.running, .launched]).map(\.id) == [ids[1], ids[3]])
            #expect(try await store.tasks(in: [.failed, .queued]).map(\.id) == [ids[0], ids[2], ids[4], ids[5]])
            #expect(try await store.tasks(in: []).isEmpty)

            let counts = try await store.counts()
            #expect(counts == [.queued: 3, .launched: 1, .running: 1, .success: 0, .failed: 1, .cancelled: 0])
        }
    }
}
