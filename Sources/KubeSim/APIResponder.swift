import HTTPTypes
import Hummingbird
import JSON
import Logging
import NIOCore

/// The API server's HTTP surface: routes each request by path and method, turns every failure into a `Status`
/// body, and writes one audit entry per request.
struct APIResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    /// The largest request body the API server takes (3 MiB).
    static let maxBodySize = 3 * 1024 * 1024

    let store: PodStore
    let audit: AuditLog
    let configuration: KubeSimConfiguration
    let listenState: ListenState
    let logger: Logger

    /// The path's meaning, before looking at the method.
    enum Route: Equatable {
        case version, api, apiV1, apis, health
        /// The Pod collection of a namespace, or of all namespaces (`nil`).
        case pods(namespace: String?)
        /// One Pod, or its `log` or `status` subresource.
        case pod(namespace: String, name: String, subresource: String?)
        case unknown

        init(path: String) {
            let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
            switch segments {
            case ["version"]: self = .version
            case ["api"]: self = .api
            case ["api", "v1"]: self = .apiV1
            case ["apis"]: self = .apis
            case ["healthz"], ["livez"], ["readyz"]: self = .health
            case ["api", "v1", "pods"]: self = .pods(namespace: nil)
            default:
                guard segments.count >= 5, segments[0] == "api", segments[1] == "v1", segments[2] == "namespaces",
                    segments[4] == "pods", !segments[3].isEmpty
                else {
                    self = .unknown
                    return
                }
                let namespace = segments[3]
                switch segments.count {
                case 5: self = .pods(namespace: namespace)
                case 6 where !segments[5].isEmpty:
                    self = .pod(namespace: namespace, name: segments[5], subresource: nil)
                case 7 where !segments[5].isEmpty && (segments[6] == "log" || segments[6] == "status"):
                    self = .pod(namespace: namespace, name: segments[5], subresource: segments[6])
                default: self = .unknown
                }
            }
        }
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        let route = Route(path: request.uri.path)
        let query = QueryParameters(request.uri.query)
        let verb = Self.verb(route: route, method: request.method, query: query)
        var podName: String?
        var namespace: String?
        switch route {
        case .pods(let routeNamespace): namespace = routeNamespace
        case .pod(let routeNamespace, let name, _):
            namespace = routeNamespace
            podName = name
        default: break
        }
        var requestLogger = logger
        requestLogger[metadataKey: "k8s.verb"] = "\(verb)"
        requestLogger[metadataKey: "http.path"] = "\(request.uri.path)"
        if let podName { requestLogger[metadataKey: "pod.name"] = "\(podName)" }

        let response: Response
        do {
            (response, podName) = try await handle(request, route: route, query: query, logger: requestLogger)
        } catch {
            requestLogger.debug(
                "Request failed",
                metadata: ["k8s.status.code": "\(error.code)", "k8s.status.reason": "\(error.reason)"])
            response = Self.json(error.status, code: error.code)
        }
        audit.record(
            verb: verb, path: request.uri.path, code: response.status.code, pod: podName, namespace: namespace)
        requestLogger.trace("Request served", metadata: ["http.status": "\(response.status.code)"])
        return response
    }

    /// The Kubernetes verb of a request, for the audit log and the logger.
    static func verb(route: Route, method: HTTPRequest.Method, query: QueryParameters) -> String {
        switch (route, method) {
        case (.pods, .get): (try? query.bool("watch")) == true ? "watch" : "list"
        case (.pods, .post): "create"
        case (.pods, .delete): "deletecollection"
        case (.pod, .get): "get"
        case (.pod, .put): "update"
        case (.pod, .patch): "patch"
        case (.pod, .delete): "delete"
        default: method.rawValue.lowercased()
        }
    }

    /// Serves one request; returns the response and the Pod it is about (for the audit entry).
    private func handle(
        _ request: Request, route: Route, query: QueryParameters, logger: Logger
    ) async throws(APIError) -> (Response, pod: String?) {
        var request = request
        switch (route, request.method) {
        case (.version, .get): return (Self.json(Discovery.version, code: 200), nil)
        case (.api, .get): return (Self.json(Discovery.apiVersions(serverAddress: serverAddress), code: 200), nil)
        case (.apiV1, .get): return (Self.json(Discovery.resourceList, code: 200), nil)
        case (.apis, .get): return (Self.json(Discovery.groupList, code: 200), nil)
        case (.health, .get): return (Self.text("ok", code: 200), nil)

        case (.pods(let namespace), .get):
            return (try listOrWatch(namespace: namespace, query: query), nil)
        case (.pods(let namespace?), .post):
            let body = try await Self.body(of: &request)
            let created = try createPod(namespace: namespace, body: body, contentType: request.headers[.contentType])
            let name = created[path: "metadata", "name"]?.stringValue
            logger.debug("Pod created", metadata: ["pod.name": "\(name ?? "")"])
            return (Self.json(created, code: 201), name)

        case (.pod(let namespace, let name, nil), .get), (.pod(let namespace, let name, "status"), .get):
            guard let pod = store.pod(PodKey(namespace: namespace, name: name)) else {
                throw APIError.podNotFound(name)
            }
            return (Self.json(pod, code: 200), name)
        case (.pod(let namespace, let name, nil), .delete):
            let body = try await Self.body(of: &request)
            let deleted = try deletePod(PodKey(namespace: namespace, name: name), query: query, body: body)
            logger.debug("Pod deletion requested")
            return (Self.json(deleted, code: 200), name)
        case (.pod(let namespace, let name, let subresource), .patch) where subresource != "log":
            let body = try await Self.body(of: &request)
            let patched = try patchPod(
                PodKey(namespace: namespace, name: name), status: subresource == "status", body: body,
                contentType: request.headers[.contentType])
            return (Self.json(patched, code: 200), name)
        case (.pod(let namespace, let name, "log"), .get):
            return (try log(PodKey(namespace: namespace, name: name), query: query), name)

        case (.unknown, _):
            throw APIError.notFoundPath
        default:
            throw APIError.methodNotAllowed
        }
    }

    var serverAddress: String {
        "\(configuration.host):\(listenState.port ?? configuration.port)"
    }

    /// The request body, at most ``maxBodySize`` bytes.
    static func body(of request: inout Request) async throws(APIError) -> [UInt8] {
        do {
            let buffer = try await request.collectBody(upTo: maxBodySize)
            return Array(buffer.readableBytesView)
        } catch {
            throw APIError.requestTooLarge
        }
    }

    static func json(_ value: JSONValue, code: Int) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-cache, private"
        let body = ResponseBody(byteBuffer: ByteBuffer(string: value.jsonString))
        return Response(status: status(code), headers: headers, body: body)
    }

    static func text(_ text: String, code: Int) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        headers[.cacheControl] = "no-cache, private"
        let body = ResponseBody(byteBuffer: ByteBuffer(string: text))
        return Response(status: status(code), headers: headers, body: body)
    }

    static func status(_ code: Int) -> HTTPResponse.Status {
        let phrases = [
            200: "OK", 201: "Created", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
            409: "Conflict", 410: "Gone", 413: "Request Entity Too Large", 415: "Unsupported Media Type",
            422: "Unprocessable Entity", 500: "Internal Server Error", 503: "Service Unavailable",
        ]
        return HTTPResponse.Status(code: code, reasonPhrase: phrases[code] ?? "")
    }
}
