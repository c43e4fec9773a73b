import Testing
@testable import TaskStore

@Suite("Transitions, events and cancellation")
struct TransitionTests {
    @Test("a task's life: conditional transitions set timestamps, pod fields and record events in order",
          arguments: StoreKind.allCases)
    func lifecycle(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let task = try await store.submit(key: key(1), spec: simpleSpec)

            let launched = try #require(
                try await store.transition(
                    id: task.id, from: [.queued], to: .launched, podName: "dag-task-1-abc", podNamespace: "jobs",
                    controllerID: "ctl-a"
                )
            )
            #expect(launched.state == .launched)
            #expect(launched.podName == "dag-task-1-abc")
            #expect(launched.podNamespace == "jobs")
            #expect(launched.controllerID == "ctl-a")
            let launchedAt = try #require(launched.launchedAt)
            #expect(launchedAt >= task.queuedAt)
            #expect(launched.updatedAt == launchedAt)
            #expect(launched.runningAt == nil && launched.finishedAt == nil)

            // Refused: the state is not in `from`. Nothing changes, no event.
            #expect(try await store.transition(id: task.id, from: [.queued], to: .running) == nil)
            #expect(try await store.transition(id: task.id, from: [], to: .running) == nil)
            #expect(try await store.task(id: task.id) == launched)

            // Pod fields that are not given stay as they were.
            let running = try #require(
                try await store.transition(id: task.id, from: [.queued, .launched], to: .running, node: "node-7")
            )
            #expect(running.state == .running)
            #expect(running.podName == "dag-task-1-abc" && running.podNamespace == "jobs")
            #expect(running.controllerID == "ctl-a")
            #expect(running.launchedAt == launchedAt)
            let runningAt = try #require(running.runningAt)
            #expect(runningAt >= launchedAt)

            let done = try #require(
                try await store.transition(id: task.id, from: [.running], to: .success, reason: "exit code 0")
            )
            #expect(done.state == .success)
            #expect(done.reason == "exit code 0")
            let finishedAt = try #require(done.finishedAt)
            #expect(finishedAt >= runningAt)
            #expect(done.runningAt == runningAt)

            // A final task refuses further moves.
            #expect(try await store.transition(id: task.id, from: [.running, .launched], to: .failed, reason: "x") == nil)

            let events = try await store.events(id: task.id)
            #expect(events.map(\.from) == [nil, .queued, .launched, .running])
            #expect(events.map(\.to) == [.queued, .launched, .running, .success])
            #expect(events.map(\.reason) == [nil, nil, nil, "exit code 0"])
            #expect(events.map(\.podName) == [nil, "dag-task-1-abc", "dag-task-1-abc", "dag-task-1-abc"])
            #expect(events.map(\.controllerID) == [nil, "ctl-a", "ctl-a", "ctl-a"])
            #expect(events.map(\.node) == [nil, nil, "node-7", nil])
            #expect(events.map(\.at) == [task.queuedAt, launchedAt, runningAt, finishedAt])
        }
    }

    @Test("every final state sets finished_at; reason is replaced or cleared", arguments: StoreKind.allCases)
    func finalStates(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let ids = try await submitMany(store, count: 3).map(\.id)
            let failed = try #require(try await store.transition(id: ids[0], from: [.queued], to: .failed,
                                                                 reason: "ImagePullBackOff: no such image"))
            #expect(failed.finishedAt != nil && failed.reason == "ImagePullBackOff: no such image")
            let cancelled = try #require(try await store.transition(id: ids[1], from: [.queued], to: .cancelled))
            #expect(cancelled.finishedAt != nil)

            _ = try await store.transition(id: ids[2], from: [.queued], to: .launched, reason: "Pending")
            let running = try #require(try await store.transition(id: ids[2], from: [.launched], to: .running))
            #expect(running.reason == nil)
            #expect(running.finishedAt == nil)
        }
    }

    @Test("failed without a reason still carries one", arguments: StoreKind.allCases)
    func failedNeedsReason(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let task = try await store.submit(key: key(1), spec: simpleSpec)
            let failed = try #require(try await store.transition(id: task.id, from: [.queued], to: .failed))
            #expect(failed.reason?.isEmpty == false)
            #expect(try await store.events(id: task.id).last?.reason == failed.reason)
        }
    }

    @Test("transition of an unknown id is a notFound error", arguments: StoreKind.allCases)
    func unknownID(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let error = try await #require(throws: TaskStoreError.self) {
                try await store.transition(id: 42, from: [.queued], to: .launched)
            }
            #expect(error.code == .notFound)
            #expect(error.message.contains("42"))
            #expect(try await store.events(id: 42).isEmpty)
        }
    }

    @Test("concurrent transitions from the same state: exactly one wins", arguments: StoreKind.allCases)
    func racingTransitions(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, url in
            let other = try await TaskStore.open(url, logger: quietLogger)
            let task = try await store.submit(key: key(1), spec: simpleSpec)
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for n in 0..<10 {
                    let target = n.isMultiple(of: 2) ? store : other
                    group.addTask {
                        try await target.transition(id: task.id, from: [.queued], to: .launched,
                                                    controllerID: "ctl-\(n)") != nil
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            try await other.close()
            #expect(wins == 1)
            #expect(try await store.events(id: task.id).count == 2)
        }
    }

    @Test("cancel: a queued task is cancelled at once", arguments: StoreKind.allCases)
    func cancelQueued(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let task = try await store.submit(key: key(1), spec: simpleSpec)
            let cancelled = try #require(try await store.requestCancel(id: task.id))
            #expect(cancelled.state == .cancelled)
            #expect(cancelled.cancelRequested)
            #expect(cancelled.finishedAt != nil)
            #expect(cancelled.reason != nil)
            #expect(try await store.task(id: task.id) == cancelled)
            let events = try await store.events(id: task.id)
            #expect(events.map(\.to) == [.queued, .cancelled])
            #expect(events.last?.from == .queued)
            // The controller's pending launch is refused afterwards.
            #expect(try await store.transition(id: task.id, from: [.queued], to: .launched) == nil)
            // Cancelling again changes nothing.
            #expect(try await store.requestCancel(id: task.id) == cancelled)
        }
    }

    @Test("cancel: a running task keeps running with cancel_requested set", arguments: StoreKind.allCases)
    func cancelRunning(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let task = try await store.submit(key: key(1), spec: simpleSpec)
            _ = try await store.transition(id: task.id, from: [.queued], to: .launched, podName: "p")
            let running = try #require(try await store.transition(id: task.id, from: [.launched], to: .running))
            #expect(running.cancelRequested == false)

            let after = try #require(try await store.requestCancel(id: task.id))
            #expect(after.state == .running)
            #expect(after.cancelRequested)
            #expect(after.finishedAt == nil)
            #expect(after.updatedAt >= running.updatedAt)
            #expect(try await store.events(id: task.id).count == 3)

            // The controller then finishes it.
            let cancelled = try #require(
                try await store.transition(id: task.id, from: [.launched, .running], to: .cancelled,
                                           reason: "cancelled by user")
            )
            #expect(cancelled.cancelRequested && cancelled.finishedAt != nil)
        }
    }

    @Test("cancel: a final task is unchanged; an unknown id gives nil", arguments: StoreKind.allCases)
    func cancelFinal(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let task = try await store.submit(key: key(1), spec: simpleSpec)
            let done = try #require(try await store.transition(id: task.id, from: [.queued], to: .success))
            #expect(try await store.requestCancel(id: task.id) == done)
            #expect(try await store.task(id: task.id)?.cancelRequested == false)
            #expect(try await store.requestCancel(id: 9_999) == nil)
        }
    }
}
