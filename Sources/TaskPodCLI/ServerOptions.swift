import ArgumentParser
import Foundation
import JSON
import KubeClient
import TaskPodServer
import TaskStore

/// `--server` / `--token-file`: talk to a controller's HTTP API instead of opening the store.
struct ServerOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A controller's API (taskpod controller --listen), e.g. http://127.0.0.1:8080; instead of --db.",
                               valueName: "url"))
    var server: String?

    @Option(help: ArgumentHelp("The file holding the API's bearer token (its first line).", valueName: "file"))
    var tokenFile: String?

    func validate() throws {
        if server == nil && tokenFile != nil { throw ValidationError("--token-file needs --server URL") }
    }

    /// The API client, or nil without `--server`.
    func client() throws -> TaskPodAPIClient? {
        guard let server else { return nil }
        var token: String?
        if let tokenFile {
            guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8),
                  let first = text.split(whereSeparator: \.isNewline).first.map({ $0.trimmingCharacters(in: .whitespaces) }),
                  !first.isEmpty
            else { throw ValidationError("--token-file \(tokenFile): cannot read a token from it") }
            token = first
        }
        return TaskPodAPIClient(base: server.hasSuffix("/") ? String(server.dropLast()) : server, token: token)
    }
}

/// The CLI's client of the HTTP API. Errors name the server's problems by field; never the token.
struct TaskPodAPIClient {
    var base: String
    var token: String?

    struct Answer {
        var status: Int
        var body: [UInt8]
        var json: JSONValue? { try? JSONValue(parsing: body) }
    }

    func call(_ method: HTTPRequest.Method, _ path: String, _ body: JSONValue? = nil) async throws -> Answer {
        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        if body != nil { headers.append(("Content-Type", "application/json")) }
        let response: HTTPResponse
        do {
            response = try await CurlEngine.shared.perform(HTTPRequest(
                method: method, url: base + path, headers: headers, body: body.map { Array($0.jsonString.utf8) }))
        } catch {
            throw ValidationError("cannot reach the taskpod API at \(base): \(error)")
        }
        let answer = Answer(status: response.status, body: response.body)
        guard (200..<300).contains(answer.status) || answer.status == 409 else {
            let problems = answer.json?["errors"]?.arrayValue?.map { problem in
                "  \(problem["field"]?.stringValue ?? ""): \(problem["message"]?.stringValue ?? "")"
            } ?? [String(decoding: answer.body.prefix(500), as: UTF8.self)]
            throw ValidationError("the taskpod API answered \(answer.status):\n" + problems.joined(separator: "\n"))
        }
        return answer
    }

    func task(from answer: Answer) throws -> TaskInstance {
        guard let task = answer.json?["task"].flatMap(TaskJSON.decodeTask) else {
            throw ValidationError("the taskpod API at \(base) answered without a task")
        }
        return task
    }

    /// Every task, in id order, page by page.
    func tasks(state: TaskState?) async throws -> [TaskInstance] {
        var tasks: [TaskInstance] = []
        var cursor: String?
        repeat {
            var path = "/api/v1/tasks?limit=1000"
            if let state { path += "&state=\(state.rawValue)" }
            if let cursor { path += "&cursor=\(cursor)" }
            let page = try await call(.get, path).json
            tasks += page?["tasks"]?.arrayValue?.compactMap(TaskJSON.decodeTask) ?? []
            cursor = page?["next_cursor"]?.stringValue
        } while cursor != nil
        return tasks
    }

    /// A submission as the API reads it.
    static func submission(key: TaskKey, spec: TaskSpec) -> JSONValue {
        var object: JSONObject = [
            "dag_id": .string(key.dagID), "task_id": .string(key.taskID), "run_id": .string(key.runID),
            "map_index": .int(Int64(key.mapIndex)), "try_number": .int(Int64(key.tryNumber)),
            "command": .array(spec.command.map { .string($0) }),
            "env": .object(JSONObject(spec.env.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) })),
        ]
        if let image = spec.image { object["image"] = .string(image) }
        if let namespace = spec.namespace { object["namespace"] = .string(namespace) }
        if let override = spec.podOverride { object["pod_override"] = override }
        if let template = spec.podTemplate { object["pod_template"] = template }
        return .object(object)
    }
}
