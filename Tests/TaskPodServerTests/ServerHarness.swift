import Foundation
import JSON
import KubeClient
import Logging
import ServiceLifecycle
import Synchronization
import TaskPod
import TaskPodServer
import TaskStore
import TestSupport
import Testing

/// A client of the API that checks every JSON answer against the OpenAPI document.
struct APIClient: Sendable {
    var base: String
    var token: String?
    var tls = TLSOptions()

    struct Answer {
        var status: Int
        var text: String
        var head: HTTPResponseHead
        var json: JSONValue? { try? JSONValue(parsing: text) }

        /// A header's value without the line end the transport leaves on it.
        func header(_ name: String) -> String? { head.header(name)?.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    @discardableResult
    func call(_ method: HTTPRequest.Method, _ path: String, _ body: JSONValue? = nil, token: String?? = nil,
              sourceLocation: SourceLocation = #_sourceLocation) async throws -> Answer {
        var headers: [(name: String, value: String)] = []
        if let token = token ?? self.token { headers.append(("Authorization", "Bearer \(token)")) }
        if body != nil { headers.append(("Content-Type", "application/json")) }
        let request = HTTPRequest(method: method, url: base + path, headers: headers, body: body.map { Array($0.jsonString.utf8) },
                                  tls: tls)
        let response = try await CurlEngine.shared.perform(request)
        let answer = Answer(status: response.status, text: response.bodyText, head: response.head)
        for problem in OpenAPIConformance.problems(method: method.rawValue, path: path, status: answer.status,
                                                   contentType: answer.header("content-type"), body: answer.text) {
            Issue.record("\(method.rawValue) \(path) → \(answer.status): \(problem)", sourceLocation: sourceLocation)
        }
        return answer
    }
}

/// A server on a random loopback port with a SQLite store in a temporary folder.
struct ServerFixture: Sendable {
    var client: APIClient
    var store: TaskStore
    var server: TaskPodServer
    var directory: TemporaryDirectory
    var logs: LogRecorder
    var arrivals: Counter
    var cancels: Cancels

    /// The task ids whose cancel the server rang the controller for.
    final class Cancels: Sendable {
        private let list = Mutex<[Int64]>([])
        func append(_ id: Int64) { list.withLock { $0.append(id) } }
        var ids: [Int64] { list.withLock { $0 } }
    }

    final class Counter: Sendable {
        let value = Atomic<Int>(0)
        func increment() { value.add(1, ordering: .relaxed) }
        var count: Int { value.load(ordering: .relaxed) }
    }

    static let token = "s3cret-token-0123456789abcdef"

    /// Runs `body` against a fresh server; with `tokens` (the default) authentication is on.
    static func with(
        tokens: [String]? = [token], tls: (certificate: String, key: String)? = nil, builder: PodBuilder = PodBuilder(defaultNamespace: "jobs", defaultImage: "python:3.12",
                                                                        controllerID: "api-test"),
        _ body: (ServerFixture) async throws -> Void
    ) async throws {
        let directory = try TemporaryDirectory(prefix: "taskpod-api")
        defer { directory.remove() }
        let logs = LogRecorder()
        let store = try await TaskStore.open(directory.file("taskpod.db"), logger: logs.logger)
        var tokenFile: String?
        if let tokens {
            tokenFile = directory.file("tokens")
            try (tokens.joined(separator: "\n") + "\n").write(toFile: tokenFile!, atomically: true, encoding: .utf8)
        }
        let arrivals = Counter()
        let cancels = Cancels()
        let server = try TaskPodServer(
            configuration: .init(host: "127.0.0.1", port: 0, tokenFile: tokenFile, tlsCertificate: tls?.certificate,
                                 tlsKey: tls?.key, followInterval: .milliseconds(50)),
            store: store, builder: builder, logger: logs.logger, tasksArrived: { arrivals.increment() },
            cancelRequested: { cancels.append($0) }
        )
        let group = ServiceGroup(services: [server], gracefulShutdownSignals: [], logger: logs.logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            guard let port = await server.waitUntilListening() else { throw CancellationError() }
            let fixture = ServerFixture(
                client: APIClient(base: "\(tls == nil ? "http" : "https")://127.0.0.1:\(port)", token: tokens?.first,
                                  tls: TLSOptions(caFile: tls?.certificate)),
                store: store, server: server,
                directory: directory, logs: logs, arrivals: arrivals, cancels: cancels
            )
            do {
                try await body(fixture)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        try await store.close()
    }
}

/// A valid submission.
func submission(_ task: String, externalID: String? = nil, extra: JSONObject = [:]) -> JSONValue {
    var object: JSONObject = ["dag_id": "etl", "task_id": .string(task), "run_id": "r1", "command": ["echo", "hi"]]
    if let externalID { object["external_id"] = .string(externalID) }
    // A null in `extra` removes the field.
    for (key, value) in extra { object[key] = value.isNull ? JSONValue?.none : value }
    return .object(object)
}
