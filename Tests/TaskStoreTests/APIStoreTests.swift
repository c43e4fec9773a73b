import Testing
@testable import TaskStore

/// What the HTTP API needs of the store: idempotent submissions, batches, filtered and cursor-paged lists, the change
/// sequence behind `updated_since`, and log slices.
@Suite("Submissions, queries and changes for the API")
struct APIStoreTests {
    @Test("the same key with the same external id returns the stored task; another external id conflicts",
          arguments: StoreKind.allCases)
    func idempotentSubmit(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let spec = TaskSpec(command: [], args: ["python", "-m", "work"], env: ["TOKEN": "jwt"], sensitive: true)
            guard case .created(let task) = try await store.submit(
                TaskSubmission(key: key(1), spec: spec, externalID: "uuid-1")
            ) else { Issue.record("not created"); return }
            #expect(task.externalID == "uuid-1")
            #expect(task.spec == spec)
            #expect(task.changeSeq > 0)
            #expect(try await store.task(id: task.id) == task)

            guard case .existing(let again) = try await store.submit(
                TaskSubmission(key: key(1), spec: spec, externalID: "uuid-1")
            ) else { Issue.record("not existing"); return }
            #expect(again == task)
            guard case .conflict(let other) = try await store.submit(
                TaskSubmission(key: key(1), spec: spec, externalID: "uuid-2")
            ) else { Issue.record("no conflict"); return }
            #expect(other.id == task.id)
            guard case .conflict = try await store.submit(TaskSubmission(key: key(1), spec: spec)) else {
                Issue.record("no conflict without an external id"); return
            }
            guard case .invalid(let error) = try await store.submit(
                TaskSubmission(key: key(2), spec: TaskSpec(command: ["a"], args: ["b"]))
            ) else { Issue.record("command and args accepted"); return }
            #expect(error.code == .invalidInput)
            #expect(try await store.tasks().count == 1)
        }
    }

    @Test("a batch stores its valid tasks in one transaction, with one outcome per task in order",
          arguments: StoreKind.allCases)
    func batch(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            _ = try await store.submit(TaskSubmission(key: key(0), spec: simpleSpec, externalID: "e0"))
            let outcomes = try await store.submit(batch: [
                TaskSubmission(key: key(0), spec: simpleSpec, externalID: "e0"),
                TaskSubmission(key: key(0), spec: simpleSpec, externalID: "other"),
                TaskSubmission(key: TaskKey(dagID: "", taskID: "t", runID: "r"), spec: simpleSpec),
                TaskSubmission(key: key(1), spec: simpleSpec, externalID: "e1"),
                TaskSubmission(key: key(1), spec: simpleSpec, externalID: "e1"),
            ])
            let names = outcomes.map { outcome -> String in
                switch outcome {
                case .created: "created"
                case .existing: "existing"
                case .conflict: "conflict"
                case .invalid: "invalid"
                }
            }
            #expect(names == ["existing", "conflict", "invalid", "created", "existing"])
            #expect(try await store.tasks().count == 2)
            let tooMany = (0...TaskStore.maxBatchSize).map { TaskSubmission(key: key($0), spec: simpleSpec) }
            await #expect(throws: TaskStoreError.self) { try await store.submit(batch: tooMany) }

            let thousand = (10..<(10 + TaskStore.maxBatchSize)).map { TaskSubmission(key: key($0), spec: simpleSpec) }
            let stored = try await store.submit(batch: thousand)
            #expect(stored.allSatisfy { if case .created = $0 { true } else { false } })
            #expect(try await store.tasks().count == 2 + TaskStore.maxBatchSize)
        }
    }

    @Test("lists filter by state, dag, run, external id and ids, and page by id", arguments: StoreKind.allCases)
    func filters(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let a = try await store.submit(key: key(1, dag: "a"), spec: simpleSpec)
            let b = try await store.submit(key: key(2, dag: "a", run: "run-2"), spec: simpleSpec)
            guard case .created(let c) = try await store.submit(
                TaskSubmission(key: key(3, dag: "b"), spec: simpleSpec, externalID: "x")
            ) else { Issue.record("not created"); return }
            _ = try await store.transition(id: b.id, from: [.queued], to: .running)

            #expect(try await store.tasks(TaskQuery(dagID: "a")).map(\.id) == [a.id, b.id])
            #expect(try await store.tasks(TaskQuery(dagID: "a", runID: "run-2")).map(\.id) == [b.id])
            #expect(try await store.tasks(TaskQuery(states: [.running])).map(\.id) == [b.id])
            #expect(try await store.tasks(TaskQuery(externalID: "x")).map(\.id) == [c.id])
            #expect(try await store.tasks(TaskQuery(ids: [c.id, a.id])).map(\.id) == [a.id, c.id])
            #expect(try await store.tasks(TaskQuery(ids: [])).isEmpty)
            #expect(try await store.tasks(TaskQuery(limit: 2)).map(\.id) == [a.id, b.id])
            #expect(try await store.tasks(TaskQuery(afterID: b.id, limit: 2)).map(\.id) == [c.id])
        }
    }

    @Test("changedAfter lists only the tasks changed after a cursor, in change order", arguments: StoreKind.allCases)
    func changes(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let tasks = try await submitMany(store, count: 4)
            let start = try await store.latestChange()
            #expect(try await store.tasks(TaskQuery(changedAfter: start)).isEmpty)

            _ = try await store.transition(id: tasks[2].id, from: [.queued], to: .launched, podName: "p")
            _ = try await store.requestCancel(id: tasks[0].id)
            // Refused transitions and repeated notes change nothing.
            _ = try await store.transition(id: tasks[1].id, from: [.running], to: .success)
            try await store.noteWaiting(ids: [tasks[3].id], reason: "max_active_tasks reached")
            let noted = try await store.tasks(TaskQuery(changedAfter: start))
            #expect(noted.map(\.id) == [tasks[2].id, tasks[0].id, tasks[3].id])
            let cursor = ChangeCursor(after: try #require(noted.last))
            try await store.noteWaiting(ids: [tasks[3].id], reason: "max_active_tasks reached")
            #expect(try await store.tasks(TaskQuery(changedAfter: cursor)).isEmpty)
            #expect(try await store.latestChange().seq == cursor.seq)

            // A page boundary inside one batch's sequence loses nothing.
            let batch = try await store.submit(batch: (10..<15).map { TaskSubmission(key: key($0), spec: simpleSpec) })
            #expect(batch.count == 5)
            let first = try await store.tasks(TaskQuery(changedAfter: cursor, limit: 3))
            let rest = try await store.tasks(TaskQuery(changedAfter: ChangeCursor(after: try #require(first.last))))
            #expect((first + rest).map(\.key.taskID) == (10..<15).map { "task-\($0)" })

            #expect(ChangeCursor("12") == ChangeCursor(seq: 12))
            #expect(ChangeCursor("12.7") == ChangeCursor(seq: 12, id: 7))
            #expect(ChangeCursor("12.7").map(\.description) == "12.7")
            #expect(ChangeCursor("x") == nil && ChangeCursor("-1") == nil && ChangeCursor("1.2.3") == nil)
        }
    }

    @Test("log slices: from a byte offset, the last lines, and the end", arguments: StoreKind.allCases)
    func logSlices(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let task = try await store.submit(key: key(1), spec: simpleSpec)
            try await store.appendLog(id: task.id, "one\ntwo\n")
            try await store.appendLog(id: task.id, "three\nfour")
            let all = try await store.log(id: task.id, offset: 0)
            #expect(String(decoding: all.bytes, as: UTF8.self) == "one\ntwo\nthree\nfour")
            #expect(all.end == 18)
            #expect(String(decoding: try await store.log(id: task.id, offset: 8).bytes, as: UTF8.self) == "three\nfour")
            #expect(String(decoding: try await store.log(id: task.id, offset: 0, tailLines: 2).bytes, as: UTF8.self)
                        == "three\nfour")
            try await store.appendLog(id: task.id, "\n")
            #expect(String(decoding: try await store.log(id: task.id, offset: 0, tailLines: 1).bytes, as: UTF8.self)
                        == "four\n")
            #expect(try await store.log(id: task.id, offset: 100).bytes.isEmpty)
            #expect(try await store.log(id: task.id, offset: 0, tailLines: 0).bytes.isEmpty)
            #expect(try await store.log(id: 999, offset: 0).end == 0)
        }
    }
}
