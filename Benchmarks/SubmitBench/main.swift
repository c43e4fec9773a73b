// Submission benchmark: tasks per second through `POST /api/v1/tasks/batch` (the HTTP API over loopback, batches of
// up to 1,000 in one transaction) into SQLite and into PostgreSQL. The server and the store run in this process, as
// `taskpod controller --listen` runs them; no controller claims the tasks, so the figure is the API's and the store's.
//
//   SubmitBench [--tasks N] [--batch N] [--rounds N] [--clients N] [--store sqlite|postgres|both]
//
// PostgreSQL needs TASKPOD_TEST_POSTGRES_URL (scripts/postgres-test-server.sh start prints it; make bench-submit does).
import Foundation
import JSON
import KubeClient
import Logging
import ServiceLifecycle
import TaskPod
import TaskPodServer
import TaskStore
import TestSupport

struct Options {
    var tasks = 20_000
    var batch = 1_000
    var rounds = 3
    var clients = 2
    var stores = ["sqlite", "postgres"]

    init(_ arguments: [String]) {
        var arguments = arguments[...]
        while let flag = arguments.popFirst() {
            let value = arguments.popFirst() ?? ""
            switch flag {
            case "--tasks": tasks = Int(value) ?? tasks
            case "--batch": batch = min(1_000, Int(value) ?? batch)
            case "--rounds": rounds = Int(value) ?? rounds
            case "--clients": clients = max(1, Int(value) ?? clients)
            case "--store": stores = value == "both" ? ["sqlite", "postgres"] : [value]
            default:
                FileHandle.standardError.write(Data(
                    "usage: SubmitBench [--tasks N] [--batch N] [--rounds N] [--clients N] [--store sqlite|postgres|both]\n".utf8))
                exit(2)
            }
        }
    }
}

/// One batch body: `count` tasks with keys unique to `prefix`.
func batchBody(prefix: String, from start: Int, count: Int) -> [UInt8] {
    let tasks: [JSONValue] = (start..<(start + count)).map { index in
        [
            "dag_id": "bench", "task_id": .string("task_\(index)"), "run_id": .string(prefix), "try_number": 1,
            "command": ["/bin/sh", "-c", "echo hi"], "external_id": .string("\(prefix)-\(index)"),
            "pod_override": ["spec": ["containers": [["name": "base", "resources": ["requests": ["cpu": "100m"]]]]]],
        ]
    }
    return JSONValue.object(["tasks": .array(tasks)]).jsonBytes
}

/// Submits `options.tasks` tasks through `clients` concurrent posters; returns the seconds it took.
func round(port: Int, prefix: String, options: Options) async throws -> Double {
    let start = ContinuousClock.now
    let batches = stride(from: 0, to: options.tasks, by: options.batch).map { ($0, min(options.batch, options.tasks - $0)) }
    try await withThrowingTaskGroup(of: Void.self) { group in
        for client in 0..<options.clients {
            group.addTask {
                for (index, batch) in batches.enumerated() where index % options.clients == client {
                    let request = HTTPRequest(
                        method: .post, url: "http://127.0.0.1:\(port)/api/v1/tasks/batch",
                        headers: [("Content-Type", "application/json")],
                        body: batchBody(prefix: prefix, from: batch.0, count: batch.1), timeout: .seconds(120))
                    let response = try await CurlEngine.shared.perform(request)
                    guard response.status == 200 || response.status == 201 else {
                        throw HarnessError("batch answered \(response.status): \(response.bodyText.prefix(300))")
                    }
                }
            }
        }
        try await group.waitForAll()
    }
    return (ContinuousClock.now - start).inSeconds
}

func measure(store kind: String, options: Options, directory: TemporaryDirectory) async throws -> [Double] {
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    let url: String
    if kind == "postgres" {
        guard let server = ProcessInfo.processInfo.environment[TestPostgres.variable] else {
            throw HarnessError("\(TestPostgres.variable) is not set: start a server with scripts/postgres-test-server.sh start")
        }
        let database = "taskpod_submitbench_\(UUID().uuidString.prefix(8).lowercased())"
        try await TestPostgres.psql(server, "CREATE DATABASE \(database)", directory: directory.path)
        url = TestPostgres.replacingDatabase(in: server, with: database)
    } else {
        url = directory.file("bench.sqlite")
    }
    let store = try await TaskStore.open(url, logger: logger)
    let builder = PodBuilder(defaultNamespace: "default", defaultImage: "busybox", controllerID: "bench")
    let server = try TaskPodServer(
        configuration: .init(host: "127.0.0.1", port: 0), store: store, builder: builder, logger: logger)
    let group = ServiceGroup(configuration: .init(services: [.init(service: server)], logger: logger))
    var rates: [Double] = []
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        guard let port = await server.waitUntilListening() else { throw HarnessError("the server did not listen") }
        for index in 0..<options.rounds {
            let seconds = try await round(port: port, prefix: "\(kind)-\(index)", options: options)
            rates.append(Double(options.tasks) / seconds)
            print(String(format: "  %@ round %d: %d tasks in %.2f s = %.0f tasks/s", kind, index + 1, options.tasks, seconds,
                         Double(options.tasks) / seconds))
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
    try await store.close()
    return rates
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
let directory = try TemporaryDirectory(prefix: "submitbench")
defer { directory.remove() }
print("SubmitBench: \(options.tasks) tasks a round in batches of \(options.batch), \(options.clients) clients, "
    + "\(options.rounds) rounds; \(ProcessInfo.processInfo.activeProcessorCount) cores")
var failed = false
for kind in options.stores {
    do {
        let rates = try await measure(store: kind, options: options, directory: directory).sorted()
        print(String(format: "%@: median %.0f tasks/s (min %.0f, max %.0f)", kind, rates[rates.count / 2], rates.first ?? 0,
                     rates.last ?? 0))
    } catch {
        print("\(kind): FAILED: \(error)")
        failed = true
    }
}
exit(failed ? 1 : 0)
