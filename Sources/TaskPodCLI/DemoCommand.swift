import ArgumentParser
import CLISupport
import Foundation
import JSON
import KubeClient
import Logging
import ServiceLifecycle
import TaskPod
import TaskPodMetrics
import TaskPodServer
import TaskStore

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run real tasks end to end on the built-in simulator: KubeSim in exec mode, the controller, a SQLite store.",
        discussion: """
            It starts the kubesim executable found beside taskpod (or named by $KUBESIM_BINARY), serves the HTTP API on \
            a free loopback port (printed), then submits a dozen tasks (CPU and memory overrides, one that exits 3, one that prints 300 lines, \
            one that sleeps), shows their progress, then prints every task's state, reason and duration and \
            one task's log. It exits 0 when every task ended as expected.
            """
    )

    @Option(help: "Keep the store, kubeconfig and audit log in this folder (default: a new temporary folder).")
    var directory: String?

    @Option(help: "How many tasks may have a Pod at once.")
    var parallelism: Int = 6

    @Option(help: "Give up waiting after this many seconds.")
    var timeout: Int = 120

    @Option(help: "Log level of the controller and the simulator: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .warning

    struct DemoTask {
        var key: TaskKey
        var spec: TaskSpec
        var expected: TaskState
        var expectedReason: String?
    }

    func run() async throws {
        let logger = LogOptions.bootstrap(level: logLevel, format: .text, label: "taskpod.demo")
        let folder = directory ?? NSTemporaryDirectory() + "taskpod-demo-\(ProcessInfo.processInfo.processIdentifier)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        print("taskpod demo: store, kubeconfig and audit log in \(folder)")

        let metrics = TaskPodMetrics()
        metrics.bootstrap()
        let store = try await TaskStore.open(folder + "/taskpod.sqlite", logger: logger)
        let kubeconfigPath = folder + "/kubeconfig"
        // The simulator is its own executable, built beside this one; the production binary holds none of it.
        let sim = try await SimulatorProcess.start(
            arguments: [
                "--mode", "exec", "--port", "0", "--write-kubeconfig", kubeconfigPath,
                "--audit-log", folder + "/kubesim-audit.jsonl", "--log-level", logLevel.rawValue,
            ],
            outputPath: folder + "/kubesim.log")
        let outcome: Bool
        do {
            outcome = try await withThrowingTaskGroup(of: Void.self) { group in
            let client = KubeClient(config: try KubeConfig.load(path: kubeconfigPath), logger: logger)
            print("KubeSim (exec mode) at \(client.config.server); kubeconfig \(kubeconfigPath)")

            var configuration = ControllerConfiguration(controllerID: "taskpod-demo")
            configuration.parallelism = parallelism
            configuration.deleteWorkerPodsOnFailure = true
            configuration.pollInterval = .milliseconds(200)
            configuration.resyncInterval = .seconds(2)
            let controller = try Controller(configuration: configuration, store: store, client: client, logger: logger)
            // The HTTP API on a free loopback port (no token needed on loopback), with /metrics, /healthz, /readyz.
            let health = ControllerHealth(controller: controller, store: store, elector: nil)
            let probes = TaskPodServer.Probes(health: health, metrics: metrics)
            let server = try TaskPodServer(
                configuration: .init(host: "127.0.0.1", port: 0), store: store, builder: controller.builder, logger: logger,
                tasksArrived: controller.tasksArrived,
                cancelRequested: controller.cancelRequested(id:), probes: probes)
            let controllerGroup = ServiceGroup(configuration: .init(
                services: [.init(service: controller), .init(service: server)], logger: logger))
            group.addTask { try await controllerGroup.run() }
            if let port = await server.waitUntilListening() {
                print("HTTP API at http://127.0.0.1:\(port): curl http://127.0.0.1:\(port)/api/v1/tasks, /metrics, /readyz")
            }

            let tasks = DemoCommand.tasks()
            var ids: [Int64: DemoTask] = [:]
            for task in tasks {
                let stored = try await store.submit(key: task.key, spec: task.spec)
                ids[stored.id] = task
            }
            print("submitted \(tasks.count) tasks; parallelism \(parallelism)\n")

            let ok = try await DemoCommand.follow(store: store, count: tasks.count, timeout: timeout)
            // Stop the controller first, then the simulator, each gracefully.
            await controllerGroup.triggerGracefulShutdown()
            try await group.waitForAll()
            let asExpected = try await DemoCommand.report(store: store, expectations: ids)
            return ok && asExpected
            }
        } catch {
            await sim.stop()
            throw error
        }
        await sim.stop()
        try await store.close()
        if !outcome { throw ExitCode.failure }
    }

    /// Prints progress until every task ended (or the timeout).
    static func follow(store: TaskStore, count: Int, timeout: Int) async throws -> Bool {
        let start = ContinuousClock.now
        var last = ""
        while true {
            let counts = try await store.counts()
            let line = TaskState.allCases.map { "\($0.rawValue) \(counts[$0] ?? 0)" }.joined(separator: "  ")
            let elapsed = ContinuousClock.now - start
            if line != last {
                print(String(format: "[%5.1fs] ", elapsed.inSeconds) + line)
                last = line
            }
            let done = TaskState.allCases.filter(\.isFinal).reduce(0) { $0 + (counts[$1] ?? 0) }
            if done == count { return true }
            if elapsed > .seconds(timeout) {
                print("gave up after \(timeout)s with \(count - done) tasks not ended")
                return false
            }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    /// Prints the table and one log; true when every task ended as expected.
    static func report(store: TaskStore, expectations: [Int64: DemoTask]) async throws -> Bool {
        let tasks = try await store.tasks()
        var allGood = true
        var rows: [[String]] = []
        for task in tasks {
            let expected = expectations[task.id]
            let good = expected.map { $0.expected == task.state && ($0.expectedReason == nil || $0.expectedReason == task.reason) } ?? false
            allGood = allGood && good
            rows.append([
                String(task.id), task.key.taskID + (task.key.mapIndex >= 0 ? "[\(task.key.mapIndex)]" : ""), task.state.rawValue,
                task.reason ?? "", TaskOutput.duration(task).map { String(format: "%.1fs", $0) } ?? "-",
                String(try await store.log(id: task.id).split(separator: "\n", omittingEmptySubsequences: false).count - 1),
                good ? "yes" : "NO (expected \(expected?.expected.rawValue ?? "?"))",
            ])
        }
        print("\n" + TaskOutput.format(header: ["ID", "TASK", "STATE", "REASON", "DURATION", "LOG LINES", "AS EXPECTED"], rows: rows))
        if let failing = tasks.first(where: { $0.state == .failed }) {
            print("\n--- log of task \(failing.id) (\(failing.key.taskID)), kept after its Pod was deleted ---")
            print(try await store.log(id: failing.id), terminator: "")
            print("--- end of log ---")
        }
        print(allGood ? "\nevery task ended as expected" : "\nsome tasks did NOT end as expected")
        return allGood
    }

    static func tasks() -> [DemoTask] {
        let run = "demo_\(Int(Date().timeIntervalSince1970))"
        func key(_ task: String, map: Int = -1) -> TaskKey { TaskKey(dagID: "demo", taskID: task, runID: run, mapIndex: map) }
        func sh(_ script: String) -> [String] { ["/bin/sh", "-c", script] }
        func resources(_ cpu: String, _ memory: String, limitCPU: String, limitMemory: String) -> JSONValue {
            ["spec": ["containers": [[
                "name": "base",
                "resources": [
                    "requests": ["cpu": .string(cpu), "memory": .string(memory)],
                    "limits": ["cpu": .string(limitCPU), "memory": .string(limitMemory)],
                ],
            ]]]]
        }
        return [
            DemoTask(key: key("hello"), spec: TaskSpec(command: sh("echo hello from a taskpod Pod; uname -s")), expected: .success),
            DemoTask(key: key("arithmetic"), spec: TaskSpec(command: sh("echo 6 times 7 is $((6*7))")), expected: .success),
            DemoTask(key: key("small_resources"),
                     spec: TaskSpec(command: sh("echo small: 100m CPU, 128Mi"), podOverride: resources("100m", "128Mi", limitCPU: "250m", limitMemory: "256Mi")),
                     expected: .success),
            DemoTask(key: key("medium_resources"),
                     spec: TaskSpec(command: sh("echo medium: 500m CPU, 512Mi"), podOverride: resources("500m", "512Mi", limitCPU: "1", limitMemory: "1Gi")),
                     expected: .success),
            DemoTask(key: key("large_resources"),
                     spec: TaskSpec(command: sh("echo large: 2 CPU, 4Gi"), podOverride: resources("2", "4Gi", limitCPU: "4", limitMemory: "8Gi")),
                     expected: .success),
            DemoTask(key: key("exits_3"), spec: TaskSpec(command: sh("echo working; echo something went wrong >&2; exit 3")),
                     expected: .failed, expectedReason: "Error, exit code 3"),
            DemoTask(key: key("chatty"), spec: TaskSpec(command: sh("i=1; while [ $i -le 300 ]; do echo line $i of 300; i=$((i+1)); done")),
                     expected: .success),
            DemoTask(key: key("sleeper"), spec: TaskSpec(command: sh("echo sleeping 3 s; sleep 3; echo awake")), expected: .success),
            DemoTask(key: key("environment"),
                     spec: TaskSpec(command: sh("echo dag=$TASKPOD_DAG_ID task=$TASKPOD_TASK_KEY try=$TASKPOD_TRY_NUMBER greeting=$GREETING"),
                                    env: ["GREETING": "hi"]),
                     expected: .success),
            DemoTask(key: key("shard", map: 0), spec: TaskSpec(command: sh("echo shard $TASKPOD_MAP_INDEX")), expected: .success),
            DemoTask(key: key("shard", map: 1), spec: TaskSpec(command: sh("echo shard $TASKPOD_MAP_INDEX")), expected: .success),
            DemoTask(key: key("stdout_and_stderr"), spec: TaskSpec(command: sh("echo to stdout; echo to stderr >&2; echo done")),
                     expected: .success),
        ]
    }
}
