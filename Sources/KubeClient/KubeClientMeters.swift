import Metrics

/// The figures the Kubernetes client emits through swift-metrics: API requests by verb and status, their latency,
/// and the informers' watch events and relists. Names follow Prometheus conventions (docs/metrics.md).
///
/// Each is made through `factory` when given (a test's own registry), else through the process's
/// `MetricsSystem.factory` at the time of use, so a client made before `MetricsSystem.bootstrap` still reports.
public struct KubeClientMeters: Sendable {
    /// Counter of API requests, labelled `verb` and `code`.
    public static let requests = "taskpod_kube_requests_total"
    /// Histogram of API request latency, labelled `verb`.
    public static let requestDuration = "taskpod_kube_request_duration_seconds"
    /// Counter of watch events the informers received, labelled `type`.
    public static let watchEvents = "taskpod_informer_watch_events_total"
    /// Counter of informer lists after the first.
    public static let relists = "taskpod_informer_relists_total"

    let custom: (any MetricsFactory)?

    /// - Parameter factory: where the figures go; nil for the process's bootstrapped factory.
    public init(factory: (any MetricsFactory)? = nil) {
        self.custom = factory
    }

    var factory: any MetricsFactory { custom ?? MetricsSystem.factory }

    /// Counts one request (one attempt: retries count again) and, when `duration` is given, records its latency.
    /// `code` is the HTTP status, or `error` when no answer came (a connection error or timeout).
    func request(verb: String, code: String, duration: Duration?) {
        let factory = self.factory
        Counter(label: Self.requests, dimensions: [("verb", verb), ("code", code)], factory: factory).increment()
        if let duration {
            Timer(label: Self.requestDuration, dimensions: [("verb", verb)], factory: factory).record(duration: duration)
        }
    }

    /// Runs one request attempt and records it: its verb, its status (or `error`) and how long it took.
    func measure(
        _ method: HTTPRequest.Method, _ path: String, query: [(String, String)], _ body: () async throws -> HTTPResponse
    ) async throws -> HTTPResponse {
        let verb = Self.verb(method, path: path, query: query)
        let start = ContinuousClock.now
        do {
            let response = try await body()
            request(verb: verb, code: String(response.status), duration: .now - start)
            return response
        } catch {
            if !(error is CancellationError) { request(verb: verb, code: "error", duration: .now - start) }
            throw error
        }
    }

    func watchEvent(_ type: String) {
        Counter(label: Self.watchEvents, dimensions: [("type", type)], factory: factory).increment()
    }

    func relisted() {
        Counter(label: Self.relists, factory: factory).increment()
    }

    /// The Kubernetes verb of a request, as the API server's audit log names it: `get`, `list`, `watch`, `create`,
    /// `update`, `patch`, `delete`. A GET of a collection is `list`; of one object or its subresource, `get`.
    static func verb(_ method: HTTPRequest.Method, path: String, query: [(String, String)]) -> String {
        switch method {
        case .post: return "create"
        case .put: return "update"
        case .patch: return "patch"
        case .delete: return "delete"
        default: break
        }
        if query.contains(where: { $0.0 == "watch" && ($0.1 == "true" || $0.1 == "1") }) { return "watch" }
        // /api/v1/<rest> or /apis/<group>/<version>/<rest>; <rest> = [namespaces/<ns>/]<resource>[/<name>[/<sub>]]
        var segments = path.split(separator: "/", omittingEmptySubsequences: true).dropFirst()
        segments = segments.dropFirst(path.hasPrefix("/apis/") ? 2 : 1)
        if segments.first == "namespaces", segments.count > 2 { segments = segments.dropFirst(2) }
        return segments.count <= 1 ? "list" : "get"
    }
}

extension WatchEvent {
    /// The event's type as the stream names it (`ADDED`, ..., `ERROR`).
    public var type: WatchEventType {
        switch self {
        case .added: .added
        case .modified: .modified
        case .deleted: .deleted
        case .bookmark: .bookmark
        case .error: .error
        }
    }
}
