import Hummingbird
import TaskPod

/// Lets a request under `/api/` through only with `Authorization: Bearer <token>` naming a current token; answers
/// 401 with a JSON error otherwise. The token is never logged nor echoed.
struct BearerAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let tokens: BearerTokens?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        guard let tokens, request.uri.path.hasPrefix("/api/") else { return try await next(request, context) }
        let header = request.headers[.authorization] ?? ""
        let scheme = "bearer "
        guard header.count > scheme.count, header.prefix(scheme.count).lowercased() == scheme,
              tokens.accepts(header.dropFirst(scheme.count))
        else {
            var response = APIResponse.problems(
                .unauthorized,
                [.init(field: "authorization", message: header.isEmpty
                    ? "a bearer token is required: send Authorization: Bearer <token>"
                    : "the bearer token is not accepted")]
            )
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        return try await next(request, context)
    }
}
