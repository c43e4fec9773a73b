import Hummingbird
import JSON
import NIOCore
import TaskPod

/// A request the API refuses: the status and every problem, by field.
struct APIRefusal: Error {
    var status: HTTPResponse.Status
    var problems: [FieldProblem]

    init(_ problems: [FieldProblem], status: HTTPResponse.Status = .unprocessableContent) {
        self.status = status
        self.problems = problems
    }

    init(_ status: HTTPResponse.Status, field: String, _ message: String) {
        self.init([FieldProblem(field: field, message: message)], status: status)
    }
}

/// The API's responses: JSON bodies, and problems as `{"errors": [{"field", "message"}]}`.
enum APIResponse {
    static func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        var buffer = ByteBuffer(string: value.jsonString)
        buffer.writeString("\n")
        return Response(
            status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: buffer)
        )
    }

    static func problems(_ status: HTTPResponse.Status, _ problems: [FieldProblem]) -> Response {
        json(status, TaskJSON.errors(problems))
    }

    static func problem(_ status: HTTPResponse.Status, field: String, _ message: String) -> Response {
        problems(status, [FieldProblem(field: field, message: message)])
    }

    static func text(_ status: HTTPResponse.Status, _ text: String, contentType: String = "text/plain; charset=utf-8")
        -> Response
    {
        Response(status: status, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// Runs `body`, answering an ``APIRefusal`` it throws with its problems.
    static func answering(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let refusal as APIRefusal {
            return problems(refusal.status, refusal.problems)
        }
    }

    static func notFound(_ id: Int64) -> Response {
        problem(.notFound, field: "id", "there is no task \(id)")
    }
}
