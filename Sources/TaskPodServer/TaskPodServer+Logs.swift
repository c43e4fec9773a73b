import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import TaskPod
import TaskStore

extension TaskPodServer {
    /// The header that carries the log's size in bytes when the answer was made: the `offset` to read on from.
    static let logEndHeader = HTTPField.Name("X-Log-End")!

    /// `GET /api/v1/tasks/{id}/log?offset=BYTES&tail_lines=N&follow=true`: the task's log as text; followed, the
    /// answer streams what the log gains until the task ends (read again every ``Configuration/followInterval``).
    func log(_ id: Int64, _ request: Request) async throws -> Response {
        let parameters = Self.nonEmpty(request.uri.queryParameters)
        var problems = Self.unknownParameters(request, known: ["offset", "tail_lines", "follow"])
        func number(_ name: String) -> Int? {
            guard let text = parameters[Substring(name)] else { return nil }
            guard let value = Int(text), value >= 0 else {
                problems.append(FieldProblem(field: name, message: "must be an integer of 0 or more"))
                return nil
            }
            return value
        }
        let offset = number("offset") ?? 0
        let tailLines = number("tail_lines")
        let follow: Bool
        switch parameters["follow"] {
        case nil, "false": follow = false
        case "true": follow = true
        default:
            follow = false
            problems.append(FieldProblem(field: "follow", message: "must be true or false"))
        }
        guard problems.isEmpty else { return APIResponse.problems(.unprocessableContent, problems) }
        guard try await store.task(id: id) != nil else { return APIResponse.notFound(id) }
        let first = try await store.log(id: id, offset: offset, tailLines: tailLines)
        var headers: HTTPFields = [.contentType: "text/plain; charset=utf-8"]
        guard follow else {
            headers[Self.logEndHeader] = String(first.end)
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: first.bytes)))
        }
        let store = store
        let interval = configuration.followInterval
        let body = ResponseBody { writer in
            if !first.bytes.isEmpty { try await writer.write(ByteBuffer(bytes: first.bytes)) }
            var offset = first.end
            while !Task.isShuttingDownGracefully {
                // The state first: once it is final, the log read after it is complete.
                let ended = try await store.task(id: id)?.state.isFinal ?? true
                let slice = try await store.log(id: id, offset: offset)
                if !slice.bytes.isEmpty { try await writer.write(ByteBuffer(bytes: slice.bytes)) }
                offset = max(offset, slice.end)
                if ended { break }
                try await Task.sleep(for: interval)
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}
