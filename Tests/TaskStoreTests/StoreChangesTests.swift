import Synchronization
import TestSupport
import Testing
@testable import TaskStore

@Suite("Changes other connections make: LISTEN/NOTIFY, SQLite's change counter")
struct StoreChangesTests {
    /// The changes one watcher was told, in order.
    final class Told: Sendable {
        private let changes = Mutex<[StoreChange]>([])
        func append(_ change: StoreChange) { changes.withLock { $0.append(change) } }
        var all: [StoreChange] { changes.withLock { $0 } }
        func clear() { changes.withLock { $0.removeAll() } }
    }

    @Test("a task queued or cancelled through another connection is told to the watcher within moments",
          arguments: StoreKind.allCases)
    func toldAcrossConnections(_ kind: StoreKind) async throws {
        try await withStore(kind) { watcher, url in
            let writer = try await TaskStore.open(url, logger: quietLogger)
            let told = Told()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await watcher.watchChanges(every: .milliseconds(10)) { told.append($0) } }
                // The watch says .unknown once it is set up (it may have missed something before).
                #expect(await eventually { told.all.contains(.unknown) })
                told.clear()

                let task = try await writer.submit(key: key(1), spec: simpleSpec)
                let expected: StoreChange = kind == .postgres ? .queued : .unknown
                let clock = ContinuousClock()
                let start = clock.now
                #expect(await eventually(timeout: .seconds(5)) { told.all.contains(expected) })
                #expect(clock.now - start < .seconds(1), "told after \(clock.now - start)")

                _ = try await writer.transition(id: task.id, from: [.queued], to: .launched, controllerID: "ctl-a")
                told.clear()
                _ = try await writer.requestCancel(id: task.id)
                let cancel: StoreChange = kind == .postgres ? .cancelRequested(id: task.id) : .unknown
                #expect(await eventually(timeout: .seconds(5)) { told.all.contains(cancel) })
                #expect(try await watcher.pendingCancels(controllerID: "ctl-a") == [task.id])
                #expect(try await watcher.pendingCancels(controllerID: "ctl-b") == [])
                group.cancelAll()
            }
            try await writer.close()
        }
    }

    @Test("SQLite: the watcher's own writes and reads by others do not count as changes")
    func ownWritesAreQuiet() async throws {
        try await withStore(.sqlite) { watcher, url in
            let reader = try await TaskStore.open(url, logger: quietLogger)
            let told = Told()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await watcher.watchChanges(every: .milliseconds(5)) { told.append($0) } }
                #expect(await eventually { told.all == [.unknown] })
                told.clear()
                let task = try await watcher.submit(key: key(2), spec: simpleSpec)
                _ = try await reader.task(id: task.id)
                try await Task.sleep(for: .milliseconds(200))
                #expect(told.all.isEmpty)
                group.cancelAll()
            }
            try await reader.close()
        }
    }
}
