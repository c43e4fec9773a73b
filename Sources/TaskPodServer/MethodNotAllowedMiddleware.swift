import Hummingbird

/// Answers 405 with `Allow` for a method a known path does not serve (Hummingbird's router answers 404).
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Path templates (`{id}` matches one segment) and their methods.
    let routes: [(template: [Substring], methods: [HTTPRequest.Method])]

    init(_ routes: [(String, [HTTPRequest.Method])]) {
        self.routes = routes.map { ($0.0.split(separator: "/", omittingEmptySubsequences: false), $0.1) }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            let response = try await next(request, context)
            guard response.status == .notFound, let allowed = allowed(request) else { return response }
            return refuse(allowed)
        } catch let error as HTTPError where error.status == .notFound {
            guard let allowed = allowed(request) else { throw error }
            return refuse(allowed)
        }
    }

    /// The methods of the route that matches the path, when the request's method is not among them.
    private func allowed(_ request: Request) -> [HTTPRequest.Method]? {
        let segments = request.uri.path.split(separator: "/", omittingEmptySubsequences: false)
        for route in routes where route.template.count == segments.count {
            let matches = zip(route.template, segments).allSatisfy { template, segment in
                template == segment || (template.hasPrefix("{") && !segment.isEmpty)
            }
            if matches { return route.methods.contains(request.method) ? nil : route.methods }
        }
        return nil
    }

    private func refuse(_ allowed: [HTTPRequest.Method]) -> Response {
        var response = APIResponse.problem(
            .methodNotAllowed, field: "method", "use \(allowed.map(\.rawValue).joined(separator: " or "))")
        response.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
        return response
    }
}
