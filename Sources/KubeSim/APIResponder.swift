import HTTPTypes
import Hummingbird
import JSON
import Logging
import NIOCore

/// The API server's HTTP surface: routes each request by path and method, authenticates it, injects the
/// configured faults, turns every failure into a `Status` body, and writes one audit entry per request.
struct APIResponder: HTTPResponder {
    typealias Context = KubeSimRequestContext

    /// The largest request body the API server takes (3 MiB).
    static let maxBodySize = 3 * 1024 * 1024

    let store: PodStore
    let audit: AuditLog
    let configuration: KubeSimConfiguration
    let listenState: ListenState
    let faults: FaultInjector
    let authenticator: Authenticator
    let logger: Logger

    /// The path's meaning, before looking at the method.
    enum Route: Equatable {
        case version, api, apiV1, apis, health, coordinationGroup, coordinationV1
        /// `/openapi/v3`, one of its documents, and `/openapi/v2` (not served: kubectl then uses v3).
        case openAPIIndex, openAPIDocument(String), openAPIV2
        /// The Pod collection of a namespace, or of all namespaces (`nil`).
        case pods(namespace: String?)
        /// One Pod, or its `log` or `status` subresource.
        case pod(namespace: String, name: String, subresource: String?)
        /// The core/v1 Event collection of a namespace, or of all namespaces (`nil`).
        case events(namespace: String?)
        case event(namespace: String, name: String)
        case leases(namespace: String?)
        case lease(namespace: String, name: String)
        /// KubeSim's control endpoints: `/kubesim/faults` and `/kubesim/audit`.
        case faults, audit
        case unknown

        init(path: String) {
            let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
            switch segments {
            case ["version"], ["version", ""]: self = .version
            case ["api"], ["api", ""]: self = .api
            case ["api", "v1"], ["api", "v1", ""]: self = .apiV1
            case ["apis"], ["apis", ""]: self = .apis
            case ["apis", "coordination.k8s.io"]: self = .coordinationGroup
            case ["apis", "coordination.k8s.io", "v1"]: self = .coordinationV1
            case ["healthz"], ["livez"], ["readyz"]: self = .health
            case ["openapi", "v3"], ["openapi", "v3", ""]: self = .openAPIIndex
            case ["openapi", "v2"]: self = .openAPIV2
            case ["kubesim", "faults"]: self = .faults
            case ["kubesim", "audit"]: self = .audit
            case ["api", "v1", "pods"]: self = .pods(namespace: nil)
            case ["api", "v1", "events"]: self = .events(namespace: nil)
            case ["apis", "coordination.k8s.io", "v1", "leases"]: self = .leases(namespace: nil)
            default:
                if segments.count > 2, segments[0] == "openapi", segments[1] == "v3" {
                    self = .openAPIDocument(segments.dropFirst(2).joined(separator: "/"))
                } else if segments.count >= 5, segments[0] == "api", segments[1] == "v1" {
                    let rest = Array(segments.dropFirst(2))
                    self = Self.namespaced(rest, resource: rest.count > 2 && rest[2] == "events" ? "events" : "pods")
                } else if segments.count >= 6, segments[0] == "apis", segments[1] == "coordination.k8s.io",
                    segments[2] == "v1"
                {
                    self = Self.namespaced(Array(segments.dropFirst(3)), resource: "leases")
                } else {
                    self = .unknown
                }
            }
        }

        /// `namespaces/{ns}/{resource}[/{name}[/{subresource}]]`.
        private static func namespaced(_ segments: [String], resource: String) -> Route {
            guard segments.count >= 3, segments[0] == "namespaces", !segments[1].isEmpty, segments[2] == resource
            else { return .unknown }
            let namespace = segments[1]
            switch (resource, segments.count) {
            case ("pods", 3): return .pods(namespace: namespace)
            case ("pods", 4) where !segments[3].isEmpty:
                return .pod(namespace: namespace, name: segments[3], subresource: nil)
            case ("pods", 5) where !segments[3].isEmpty && (segments[4] == "log" || segments[4] == "status"):
                return .pod(namespace: namespace, name: segments[3], subresource: segments[4])
            case ("events", 3): return .events(namespace: namespace)
            case ("events", 4) where !segments[3].isEmpty: return .event(namespace: namespace, name: segments[3])
            case ("leases", 3): return .leases(namespace: namespace)
            case ("leases", 4) where !segments[3].isEmpty: return .lease(namespace: namespace, name: segments[3])
            default: return .unknown
            }
        }

        /// The resource for fault rules: `pods`, `events`, `leases`, or `nil` for discovery.
        var resource: String? {
            switch self {
            case .pods, .pod: "pods"
            case .events, .event: "events"
            case .leases, .lease: "leases"
            default: nil
            }
        }
    }

    /// What a handler answers: the response and the Pod it is about (for the audit entry).
    typealias Served = (response: Response, pod: String?)

    func respond(to request: Request, context: Context) async throws -> Response {
        let route = Route(path: request.uri.path)
        let query = QueryParameters(request.uri.query)
        if route == .faults || route == .audit {
            var request = request
            return await control(&request, route: route)
        }
        let verb = Self.verb(route: route, method: request.method, query: query)
        var podName: String?
        var namespace: String?
        switch route {
        case .pods(let routeNamespace), .leases(let routeNamespace), .events(let routeNamespace):
            namespace = routeNamespace
        case .pod(let routeNamespace, let name, _):
            namespace = routeNamespace
            podName = name
        case .lease(let routeNamespace, _), .event(let routeNamespace, _): namespace = routeNamespace
        default: break
        }
        var requestLogger = logger
        requestLogger[metadataKey: "k8s.verb"] = "\(verb)"
        requestLogger[metadataKey: "http.path"] = "\(request.uri.path)"
        if let podName { requestLogger[metadataKey: "pod.name"] = "\(podName)" }

        var response: Response
        var identity = Authenticator.Identity.unrestricted
        do {
            try await gate(request, route: route, query: query, verb: verb, context: context, identity: &identity)
            (response, podName) = try await handle(request, route: route, query: query, logger: requestLogger)
        } catch {
            requestLogger.debug(
                "Request failed",
                metadata: ["k8s.status.code": "\(error.code)", "k8s.status.reason": "\(error.reason)"])
            response = Self.json(error.status, code: error.code)
            if let retryAfter = error.retryAfter {
                response.headers[.retryAfter] = String(retryAfter)
            }
        }
        audit.record(
            verb: verb, path: request.uri.path, code: response.status.code, pod: podName, namespace: namespace,
            user: identity.userName)
        requestLogger.trace("Request served", metadata: ["http.status": "\(response.status.code)"])
        return response
    }

    /// Injected latency, authentication, authorization, then injected errors, in the order a request meets them.
    ///
    /// - Parameter identity: Set to who the request authenticated as, for the audit entry of a denied request too.
    private func gate(
        _ request: Request, route: Route, query: QueryParameters, verb: String, context: Context,
        identity: inout Authenticator.Identity
    ) async throws(APIError) {
        let delay = faults.delay
        if delay > .zero { try? await Task.sleep(for: delay) }
        if !Authenticator.isPublic(request.uri.path) {
            guard let authenticated = await authenticator.authenticate(
                authorization: request.headers[.authorization],
                certificate: { await context.hasVerifiedClientCertificate() })
            else { throw APIError.unauthorized }
            identity = authenticated
            try authorize(identity, route: route, method: request.method, query: query)
        }
        guard route != .health, route != .version else { return }
        if case .fail(let code, let retryAfter) = faults.decide(verb: verb, resource: route.resource) {
            throw APIError.injected(code: code, retryAfter: retryAfter)
        }
    }

    /// The Kubernetes verb of a request, for the audit log, the logger and fault rules.
    static func verb(route: Route, method: HTTPRequest.Method, query: QueryParameters) -> String {
        switch (route, method) {
        case (.pods, .get), (.leases, .get), (.events, .get): (try? query.bool("watch")) == true ? "watch" : "list"
        case (.pods, .post), (.leases, .post): "create"
        case (.pods, .delete), (.leases, .delete): "deletecollection"
        case (.pod, .get), (.lease, .get), (.event, .get): "get"
        case (.pod, .put), (.lease, .put): "update"
        case (.pod, .patch), (.lease, .patch): "patch"
        case (.pod, .delete), (.lease, .delete): "delete"
        default: method.rawValue.lowercased()
        }
    }

    /// Serves one request; returns the response and the Pod it is about (for the audit entry).
    private func handle(
        _ request: Request, route: Route, query: QueryParameters, logger: Logger
    ) async throws(APIError) -> Served {
        var request = request
        let accept = request.headers[.accept]
        switch (route, request.method) {
        case (.version, .get): return (Self.json(Discovery.version, code: 200), nil)
        case (.api, .get):
            if Discovery.wantsAggregated(accept) {
                return (Self.json(Discovery.aggregatedCore, code: 200, contentType: Discovery.aggregatedMediaType), nil)
            }
            return (Self.json(Discovery.apiVersions(serverAddress: serverAddress), code: 200), nil)
        case (.apis, .get):
            if Discovery.wantsAggregated(accept) {
                return (
                    Self.json(Discovery.aggregatedGroups, code: 200, contentType: Discovery.aggregatedMediaType), nil
                )
            }
            return (Self.json(Discovery.groupList, code: 200), nil)
        case (.apiV1, .get): return (Self.json(Discovery.resourceList, code: 200), nil)
        case (.coordinationGroup, .get): return (Self.json(Discovery.coordination, code: 200), nil)
        case (.coordinationV1, .get): return (Self.json(Discovery.coordinationResources, code: 200), nil)
        case (.health, .get): return (Self.text("ok", code: 200), nil)
        case (.openAPIIndex, .get): return (Self.json(OpenAPI.index, code: 200), nil)
        case (.openAPIDocument(let path), .get):
            guard let document = OpenAPI.document(at: path) else { throw APIError.notFoundPath }
            var response = Self.json(document.json, code: 200)
            if query["hash"] == document.hash {
                response.headers[.cacheControl] = "public, immutable"
            }
            response.headers[.eTag] = "\"\(document.hash)\""
            return (response, nil)
        case (.openAPIV2, .get): throw APIError.notFoundPath

        case (.pods(let namespace), .get):
            return (try listOrWatch(.pods, namespace: namespace, query: query, accept: accept), nil)
        case (.pods(let namespace?), .post):
            let body = try await Self.body(of: &request)
            let (created, warnings) = try createPod(
                namespace: namespace, body: body, contentType: request.headers[.contentType], query: query)
            let name = created[path: "metadata", "name"]?.stringValue
            logger.debug("Pod created", metadata: ["pod.name": "\(name ?? "")"])
            return (Self.json(created, code: 201, warnings: warnings), name)

        case (.pod(let namespace, let name, nil), .get), (.pod(let namespace, let name, "status"), .get):
            guard let pod = store.pod(PodKey(namespace: namespace, name: name)) else {
                throw APIError.podNotFound(name)
            }
            return (Self.object(pod, of: .pods, accept: accept, query: query), name)
        case (.pod(let namespace, let name, let subresource), .put) where subresource != "log":
            let body = try await Self.body(of: &request)
            let (updated, warnings) = try updatePod(
                PodKey(namespace: namespace, name: name), status: subresource == "status", body: body,
                contentType: request.headers[.contentType], query: query)
            return (Self.json(updated, code: 200, warnings: warnings), name)
        case (.pod(let namespace, let name, nil), .delete):
            let body = try await Self.body(of: &request)
            let deleted = try deletePod(PodKey(namespace: namespace, name: name), query: query, body: body)
            logger.debug("Pod deletion requested")
            return (Self.json(deleted, code: 200), name)
        case (.pod(let namespace, let name, let subresource), .patch) where subresource != "log":
            let body = try await Self.body(of: &request)
            let (patched, warnings) = try patchPod(
                PodKey(namespace: namespace, name: name), status: subresource == "status", body: body,
                contentType: request.headers[.contentType], query: query)
            return (Self.json(patched, code: 200, warnings: warnings), name)
        case (.pod(let namespace, let name, "log"), .get):
            return (try log(PodKey(namespace: namespace, name: name), query: query), name)

        case (.events(let namespace), .get):
            return (try listOrWatch(.events, namespace: namespace, query: query, accept: accept), nil)
        case (.event(let namespace, let name), .get):
            guard let event = store.event(PodKey(namespace: namespace, name: name)) else {
                throw APIError.eventNotFound(name)
            }
            return (Self.object(event, of: .events, accept: accept, query: query), nil)

        case (.leases(let namespace), .get):
            if try query.bool("watch") == true { throw APIError.methodNotAllowed }
            return (Self.json(try listLeases(namespace: namespace, query: query), code: 200), nil)
        case (.leases(let namespace?), .post):
            let body = try await Self.body(of: &request)
            return (Self.json(try createLease(namespace: namespace, body: body), code: 201), nil)
        case (.lease(let namespace, let name), .get):
            guard let lease = store.lease(PodKey(namespace: namespace, name: name)) else {
                throw APIError.leaseNotFound(name)
            }
            return (Self.json(lease, code: 200), nil)
        case (.lease(let namespace, let name), .put):
            let body = try await Self.body(of: &request)
            return (Self.json(try updateLease(PodKey(namespace: namespace, name: name), body: body), code: 200), nil)
        case (.lease(let namespace, let name), .patch):
            let body = try await Self.body(of: &request)
            let patched = try patchLease(
                PodKey(namespace: namespace, name: name), body: body, contentType: request.headers[.contentType])
            return (Self.json(patched, code: 200), nil)
        case (.lease(let namespace, let name), .delete):
            return (Self.json(try deleteLease(PodKey(namespace: namespace, name: name)), code: 200), nil)

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

    static func json(
        _ value: JSONValue, code: Int, contentType: String = "application/json", warnings: [String] = []
    ) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-cache, private"
        for warning in warnings {
            headers.append(HTTPField(name: Self.warningHeader, value: "299 - \(warning.quoted)"))
        }
        let body = ResponseBody(byteBuffer: ByteBuffer(string: value.jsonString))
        return Response(status: status(code), headers: headers, body: body)
    }

    /// One object (200), or a Table of one row when the client asks for Table output.
    static func object(_ object: JSONValue, of resource: APIResource, accept: String?, query: QueryParameters)
        -> Response
    {
        guard let table = TableRequest(accept: accept, query: query) else { return json(object, code: 200) }
        let metadata: JSONValue = ["resourceVersion": object[path: "metadata", "resourceVersion"] ?? ""]
        return json(table.table([object], of: resource, metadata: metadata), code: 200)
    }

    static let warningHeader = HTTPField.Name("Warning")!

    static func text(_ text: String, code: Int) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        headers[.cacheControl] = "no-cache, private"
        let body = ResponseBody(byteBuffer: ByteBuffer(string: text))
        return Response(status: status(code), headers: headers, body: body)
    }

    static func status(_ code: Int) -> HTTPResponse.Status {
        let phrases = [
            200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            405: "Method Not Allowed", 406: "Not Acceptable", 409: "Conflict", 410: "Gone",
            413: "Request Entity Too Large", 415: "Unsupported Media Type", 422: "Unprocessable Entity",
            429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
            504: "Gateway Timeout",
        ]
        return HTTPResponse.Status(code: code, reasonPhrase: phrases[code] ?? "")
    }
}
