import Foundation
import FoundationNetworking
import JSON
import KubeSim
import Logging
import Synchronization
import Testing

/// Fast timings for tests: a Pod is Running ~40 ms after creation.
func fastConfiguration(_ edit: (inout KubeSimConfiguration) -> Void = { _ in }) -> KubeSimConfiguration {
    var configuration = KubeSimConfiguration(
        scheduleDelay: .milliseconds(20), startDelay: .milliseconds(20), defaultRunTime: .milliseconds(150))
    edit(&configuration)
    return configuration
}

func testLogger() -> Logger {
    if ProcessInfo.processInfo.environment["KUBESIM_TEST_LOG"] != nil {
        var logger = Logger(label: "kubesim-test", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .trace
        return logger
    }
    return Logger(label: "kubesim-test", factory: { _ in SwiftLogNoOpLogHandler() })
}

/// Runs a KubeSim on a random loopback port for the duration of `body`, then cancels it.
func withKubeSim(
    _ configuration: KubeSimConfiguration = fastConfiguration(),
    _ body: (KubeSim, SimClient) async throws -> Void
) async throws {
    let sim = KubeSim(configuration: configuration, logger: testLogger())
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await sim.run() }
        let port = try await sim.waitUntilListening()
        try await body(sim, SimClient(baseURL: "http://127.0.0.1:\(port)"))
        group.cancelAll()
    }
}

/// A response as the tests look at it.
struct HTTPResult: Sendable {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
    var json: JSONValue { (try? JSONValue(parsing: body)) ?? .null }

    func header(_ name: String) -> String? {
        headers.first { $0.key.lowercased() == name.lowercased() }?.value
    }
}

/// A transport other than URLSession (HTTPS with a custom CA, client certificates): see `NIOTransport`.
protocol RawTransport: Sendable {
    func request(_ method: String, _ path: String, headers: [(String, String)], body: [UInt8]?) async throws
        -> HTTPResult
    func stream(_ path: String, headers: [(String, String)], into stream: WatchStream) -> Task<Void, Never>
}

/// A small HTTP client for the tests: URLSession for plain HTTP, or a ``RawTransport``.
struct SimClient: Sendable {
    let baseURL: String
    /// Sent with every request, e.g. `Authorization`.
    var headers: [(String, String)] = []
    var transport: (any RawTransport)? = nil

    init(baseURL: String, headers: [(String, String)] = [], transport: (any RawTransport)? = nil) {
        self.baseURL = baseURL
        self.headers = headers
        self.transport = transport
    }

    func request(
        _ method: String, _ path: String, body: [UInt8]? = nil, contentType: String? = "application/json",
        headers extra: [(String, String)] = []
    ) async throws -> HTTPResult {
        var all = headers + extra
        if body != nil, let contentType { all.append(("Content-Type", contentType)) }
        if let transport { return try await transport.request(method, path, headers: all, body: body) }
        var request = URLRequest(url: try #require(URL(string: baseURL + path)))
        request.httpMethod = method
        for (name, value) in all { request.setValue(value, forHTTPHeaderField: name) }
        if let body { request.httpBody = Data(body) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            if let key = key as? String, let value = value as? String { headers[key] = value }
        }
        return HTTPResult(status: http.statusCode, headers: headers, body: Array(data))
    }

    func get(_ path: String) async throws -> HTTPResult { try await request("GET", path) }

    func post(_ path: String, _ value: JSONValue) async throws -> HTTPResult {
        try await request("POST", path, body: value.jsonBytes)
    }

    func delete(_ path: String) async throws -> HTTPResult { try await request("DELETE", path) }

    func mergePatch(_ path: String, _ value: JSONValue) async throws -> HTTPResult {
        try await request("PATCH", path, body: value.jsonBytes, contentType: "application/merge-patch+json")
    }

    /// Creates a Pod in `default` and returns it as stored.
    @discardableResult
    func createPod(
        _ name: String, namespace: String = "default", labels: [String: String] = [:],
        annotations: [String: String] = [:], containers: [JSONValue]? = nil
    ) async throws -> JSONValue {
        let result = try await post(
            "/api/v1/namespaces/\(namespace)/pods",
            pod(name, labels: labels, annotations: annotations, containers: containers))
        try #require(result.status == 201, "create \(name): \(result.status) \(result.text)")
        return result.json
    }

    /// Polls the Pod until `predicate` holds (at most `timeout`), returning it.
    func waitForPod(
        _ name: String, namespace: String = "default", timeout: Duration = .seconds(20),
        until predicate: (JSONValue) -> Bool
    ) async throws -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        while true {
            let result = try await get("/api/v1/namespaces/\(namespace)/pods/\(name)")
            if result.status == 200, predicate(result.json) { return result.json }
            if ContinuousClock.now > deadline {
                Issue.record("pod \(name) did not reach the expected state: \(result.text)")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    func watch(_ path: String, headers extra: [(String, String)] = []) throws -> WatchStream {
        if let transport {
            let stream = WatchStream()
            stream.attach(transport.stream(path, headers: headers + extra, into: stream))
            return stream
        }
        return try WatchStream(url: #require(URL(string: baseURL + path)), headers: headers + extra)
    }
}

func pod(
    _ name: String, labels: [String: String] = [:], annotations: [String: String] = [:],
    containers: [JSONValue]? = nil
) -> JSONValue {
    func object(_ pairs: [String: String]) -> JSONValue {
        .object(JSONObject(pairs.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))
    }
    var metadata: JSONObject = ["name": .string(name)]
    if !labels.isEmpty { metadata["labels"] = object(labels) }
    if !annotations.isEmpty { metadata["annotations"] = object(annotations) }
    let containers = containers ?? [["name": "base", "image": "busybox:1.36"]]
    return [
        "apiVersion": "v1", "kind": "Pod", "metadata": .object(metadata),
        "spec": ["restartPolicy": "Never", "containers": .array(containers)],
    ]
}

/// A streaming GET read through a URLSession delegate (or fed by a ``RawTransport``), split into JSON lines (a
/// watch) or kept as text.
final class WatchStream: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private struct State {
        var buffer: [UInt8] = []
        var raw: [UInt8] = []
        var events: [JSONValue] = []
        var finished = false
        var status: Int?
        var error: (any Error)?
        var session: URLSession?
        var task: Task<Void, Never>?
    }

    private let state = Mutex(State())

    /// A stream fed through ``receive(_:)``, ``finish(error:)`` and ``setStatus(_:)``.
    override init() {
        super.init()
    }

    init(url: URL, headers: [(String, String)] = []) {
        super.init()
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: .ephemeral, delegate: self, delegateQueue: queue)
        state.withLock { $0.session = session }
        var request = URLRequest(url: url)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        session.dataTask(with: request).resume()
    }

    func attach(_ task: Task<Void, Never>) {
        state.withLock { $0.task = task }
    }

    func setStatus(_ status: Int) {
        state.withLock { $0.status = status }
    }

    func receive(_ data: some Collection<UInt8>) {
        state.withLock { state in
            state.raw.append(contentsOf: data)
            state.buffer.append(contentsOf: data)
            while let newline = state.buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(state.buffer[..<newline])
                state.buffer.removeSubrange(...newline)
                if let value = try? JSONValue(parsing: line) { state.events.append(value) }
            }
        }
    }

    func finish(error: (any Error)? = nil) {
        state.withLock { state in
            state.finished = true
            state.error = error
        }
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        state.withLock { $0.status = (response as? HTTPURLResponse)?.statusCode }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        receive(data)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        finish(error: error)
    }

    /// How the stream ended: `nil` for a clean end (or while it runs), else the transport's error (a cut
    /// connection).
    var error: (any Error)? { state.withLock { $0.error } }

    var status: Int? { state.withLock { $0.status } }
    var isFinished: Bool { state.withLock { $0.finished } }
    var text: String { state.withLock { String(decoding: $0.raw, as: UTF8.self) } }

    /// The next event, waiting at most `timeout`; `nil` when the stream ended first.
    func next(timeout: Duration = .seconds(15)) async throws -> JSONValue? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (event, finished) = state.withLock { state -> (JSONValue?, Bool) in
                if !state.events.isEmpty { return (state.events.removeFirst(), false) }
                return (nil, state.finished)
            }
            if let event { return event }
            if finished { return nil }
            if ContinuousClock.now > deadline {
                Issue.record("no watch event within \(timeout)")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Skips events until one satisfies `predicate`.
    func next(timeout: Duration = .seconds(15), where predicate: (JSONValue) -> Bool) async throws -> JSONValue? {
        let deadline = ContinuousClock.now + timeout
        while let event = try await next(timeout: deadline - ContinuousClock.now) {
            if predicate(event) { return event }
        }
        return nil
    }

    /// Waits until the server ends the stream.
    func waitUntilFinished(timeout: Duration = .seconds(15)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !isFinished {
            if ContinuousClock.now > deadline {
                Issue.record("the stream did not end within \(timeout)")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func cancel() {
        let (session, task) = state.withLock { ($0.session, $0.task) }
        session?.invalidateAndCancel()
        task?.cancel()
    }
}

extension JSONValue {
    var type: String? { self["type"]?.stringValue }
    /// The phase of a Pod, or of the Pod in a watch event.
    var phase: String? {
        self[path: "object", "status", "phase"]?.stringValue ?? self[path: "status", "phase"]?.stringValue
    }
}
