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

/// The launcher and the reconciler act at once on what others write to the store, with the safety poll and the
/// resync set to a minute: a task that started quickly here was woken, not found by a poll.
@Suite("Controller: woken by submissions and cancels from other processes and the API")
struct ControllerWakeTests {
    typealias E2E = ControllerEndToEndTests

    /// Runs a controller (poll and resync a minute apart) over a store at `url` against a KubeSim until `body`
    /// returns; `body` gets the controller, a second store object on the same database (another connection, as
    /// another process has) and the sim.
    static func withSlowPollingController(
        storeURL: String, sim simConfiguration: KubeSimConfiguration,
        _ body: @Sendable (Controller, _ controllerStore: TaskStore, _ other: TaskStore, RunningSim) async throws -> Void
    ) async throws {
        try await withKubeSim(simConfiguration) { sim in
            let url = storeURL.isEmpty ? sim.directory.file("tasks.sqlite") : storeURL
            let store = try await TaskStore.open(url, logger: .test())
            let other = try await TaskStore.open(url, logger: .test())
            var configuration = ControllerConfiguration(controllerID: "wake-test")
            configuration.pollInterval = .seconds(60)
            configuration.resyncInterval = .seconds(60)
            let controller = try Controller(configuration: configuration, store: store, client: sim.client, logger: .test("controller"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await controller.run() }
                do {
                    // The launcher's first claim happens at start; wait for it to be waiting on its bell.
                    try await Task.sleep(for: .milliseconds(300))
                    try await body(controller, store, other, sim)
                } catch {
                    group.cancelAll()
                    throw error
                }
                group.cancelAll()
            }
            try await other.close()
            try await store.close()
        }
    }

    /// Submits `count` tasks through `store`, one every 100 ms (10 tasks/s), and returns each one's queue → launch
    /// time (the launch is recorded after the Pod create answered).
    static func queueToLaunch(_ store: TaskStore, count: Int, prefix: String) async throws -> [Duration] {
        var ids: [Int64] = []
        for index in 0..<count {
            ids.append(try await store.submit(key: E2E.key("\(prefix)-\(index)"), spec: TaskSpec(command: ["x"])).id)
            try await Task.sleep(for: .milliseconds(100))
        }
        let launched = try await eventually(timeout: .seconds(20)) {
            for id in ids where try await store.task(id: id)?.launchedAt == nil { return false }
            return true
        }
        #expect(launched, "every task was launched")
        var delays: [Duration] = []
        for id in ids {
            let task = try #require(try await store.task(id: id))
            delays.append(.seconds((task.launchedAt ?? .infinity) - task.queuedAt))
        }
        return delays.sorted()
    }

    /// Exec mode, a task that runs until it is cancelled through `cancel`; returns how long the cancel took to end
    /// the task.
    static func cancelTime(
        _ store: TaskStore, arrived: @Sendable () -> Void = {}, _ cancel: @Sendable (Int64) async throws -> Void
    ) async throws -> Duration {
        let task = try await store.submit(key: E2E.key("long"), spec: TaskSpec(command: ["/bin/sh", "-c", "sleep 30"]))
        arrived()
        #expect(try await eventually(timeout: .seconds(10)) { try await store.task(id: task.id)?.state == .running })
        let clock = ContinuousClock()
        let start = clock.now
        try await cancel(task.id)
        #expect(try await eventually(timeout: .seconds(15), every: .milliseconds(10)) {
            try await store.task(id: task.id)?.state == .cancelled
        })
        return clock.now - start
    }

    @Test("SQLite: tasks another connection queues start within moments (change counter), not at the next poll")
    func sqliteSubmissions() async throws {
        try await Self.withSlowPollingController(storeURL: "", sim: KubeSimConfiguration(mode: .scripted)) { _, _, other, _ in
            let delays = try await Self.queueToLaunch(other, count: 10, prefix: "sqlite")
            // The poll is a minute away, so every task was woken. The bound is loose on purpose: the suite runs its
            // tests in parallel on the same two-thread cooperative pool (BENCHMARKS.md measures the latency).
            #expect(delays.last! < .seconds(10), "queue → launch \(delays)")
        }
    }

    @Test("SQLite: a cancel another connection requests deletes the Pod at once, not at the next resync")
    func sqliteCancel() async throws {
        try await Self.withSlowPollingController(storeURL: "", sim: KubeSimConfiguration(mode: .exec)) { _, _, other, sim in
            let took = try await Self.cancelTime(other) { id in _ = try await other.requestCancel(id: id) }
            #expect(took < .seconds(5), "cancel took \(took)")
            #expect(await eventually { await sim.sim.pods().isEmpty })
        }
    }

    @Test("a cancel through the API (in process) rings the controller: the Pod goes at once")
    func apiCancel() async throws {
        try await Self.withSlowPollingController(storeURL: "", sim: KubeSimConfiguration(mode: .exec)) { controller, store, _, _ in
            // What the API's routes do: the submit and the cancel request through the controller's own store, each
            // followed by its ring.
            let took = try await Self.cancelTime(store, arrived: controller.tasksArrived) { id in
                _ = try await store.requestCancel(id: id)
                controller.cancelRequested(id: id)
            }
            #expect(took < .seconds(5), "cancel took \(took)")
        }
    }

    @Test("PostgreSQL: tasks and cancels from another connection are acted on at once (LISTEN/NOTIFY)")
    func postgres() async throws {
        try await withTestDatabase { url in
            try await Self.withSlowPollingController(storeURL: url, sim: KubeSimConfiguration(mode: .scripted)) { _, _, other, _ in
                let delays = try await Self.queueToLaunch(other, count: 10, prefix: "pg")
                #expect(delays.last! < .seconds(10), "queue → launch \(delays)")
            }
            try await Self.withSlowPollingController(storeURL: url, sim: KubeSimConfiguration(mode: .exec)) { _, _, other, _ in
                let took = try await Self.cancelTime(other) { id in _ = try await other.requestCancel(id: id) }
                #expect(took < .seconds(5), "cancel took \(took)")
            }
        }
    }

    /// Runs `body` with the URL of a new database on the test PostgreSQL server (`TASKPOD_TEST_POSTGRES_URL`),
    /// dropped afterwards.
    func withTestDatabase(_ body: (String) async throws -> Void) async throws {
        let server = try #require(
            ProcessInfo.processInfo.environment[TestPostgres.variable].flatMap { $0.isEmpty ? nil : $0 },
            "start the test server: eval \"$(scripts/postgres-test-server.sh start)\""
        )
        let directory = try TemporaryDirectory(prefix: "taskpod-wake")
        defer { directory.remove() }
        let name = "taskpod_wake_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        try await TestPostgres.psql(server, "CREATE DATABASE \(name)", directory: directory.path)
        do {
            try await body(TestPostgres.replacingDatabase(in: server, with: String(name)))
        } catch {
            try? await TestPostgres.psql(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)", directory: directory.path)
            throw error
        }
        try await TestPostgres.psql(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)", directory: directory.path)
    }
}
