import HTTPTypes
import Hummingbird
import JSON
import NIOCore

extension APIResponder {
    /// What to send of a container's log.
    struct LogOptions: Sendable {
        var follow = false
        var timestamps = false
        var tailLines: Int64?
        var limitBytes: Int64?
        var since: Timestamp?

        init(_ query: QueryParameters) throws(APIError) {
            follow = try query.bool("follow") ?? false
            timestamps = try query.bool("timestamps") ?? false
            tailLines = try query.int("tailLines")
            limitBytes = try query.int("limitBytes")
            if let tailLines, tailLines < 0 {
                throw APIError.badRequest("tailLines: Invalid value: \(tailLines): must be greater than or equal to 0")
            }
            if let limitBytes, limitBytes < 1 {
                throw APIError.badRequest("limitBytes: Invalid value: \(limitBytes): must be greater than 0")
            }
            if let seconds = try query.int("sinceSeconds") {
                guard seconds >= 1 else {
                    throw APIError.badRequest("sinceSeconds: Invalid value: \(seconds): must be greater than 0")
                }
                let now = Timestamp.now()
                since = Timestamp(seconds: now.seconds - seconds, nanoseconds: now.nanoseconds)
            }
        }

        func format(_ line: ContainerLog.Line) -> String {
            timestamps ? line.time.rfc3339NanoFixed + " " + line.text + "\n" : line.text + "\n"
        }
    }

    /// `GET …/pods/{name}/log`: the container's log as text, or followed until the container stops.
    func log(_ key: PodKey, query: QueryParameters) throws(APIError) -> Response {
        guard let pod = store.pod(key), let runtime = store.runtime(key) else { throw APIError.podNotFound(key.name) }
        let options = try LogOptions(query)
        let container = try Self.logContainer(pod, requested: query["container"])
        var headers = HTTPFields()
        headers[.contentType] = "text/plain"
        headers[.cacheControl] = "no-cache, private"
        // An unscheduled Pod has no node to ask: the API server answers with an empty log.
        guard !(pod[path: "spec", "nodeName"]?.stringValue ?? "").isEmpty else {
            return Response(status: .ok, headers: headers, body: ResponseBody())
        }
        if try query.bool("previous") == true {
            throw APIError.badRequest(
                "previous terminated container \(container.quoted) in pod \(key.name.quoted) not found")
        }
        let status = (pod[path: "status", "containerStatuses"]?.arrayValue ?? []).first {
            $0["name"]?.stringValue == container
        }
        if status == nil || status?[path: "state", "waiting"] != nil {
            let reason = status?[path: "state", "waiting", "reason"]?.stringValue ?? "ContainerCreating"
            let explanation = switch reason {
            case "ErrImagePull": "trying and failing to pull image"
            case "ImagePullBackOff": "image can't be pulled"
            default: reason
            }
            throw APIError.badRequest(
                "container \(container.quoted) in pod \(key.name.quoted) is waiting to start: \(explanation)")
        }
        guard let log = runtime.logs[container] else { throw APIError.podNotFound(key.name) }

        let (all, next, finished) = log.read(from: 0)
        var lines = all
        if let since = options.since { lines = lines.drop { $0.time < since } }
        if let tail = options.tailLines { lines = lines.suffix(Int(clamping: tail)) }
        let initial = lines.map(options.format).joined()
        guard options.follow, !finished else {
            var body = Array(initial.utf8)
            if let limit = options.limitBytes, body.count > limit { body = Array(body.prefix(Int(clamping: limit))) }
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            var remaining = options.limitBytes ?? Int64.max
            var text = initial
            var index = next
            while true {
                var bytes = Array(text.utf8)
                if bytes.count > remaining { bytes = Array(bytes.prefix(Int(clamping: remaining))) }
                remaining -= Int64(bytes.count)
                if !bytes.isEmpty { try await writer.write(ByteBuffer(bytes: bytes)) }
                if remaining <= 0 || Task.isCancelled { break }
                await log.waitForLines(after: index)
                let (lines, after, done) = log.read(from: index)
                index = after
                text = lines.map(options.format).joined()
                if done && lines.isEmpty { break }
            }
            try await writer.finish(nil)
        })
    }

    /// The container a log request is about: the one named, or the only one.
    static func logContainer(_ pod: JSONValue, requested: String?) throws(APIError) -> String {
        let name = pod[path: "metadata", "name"]?.stringValue ?? ""
        let names = (pod[path: "spec", "containers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        guard let requested, !requested.isEmpty else {
            if names.count == 1 { return names[0] }
            if names.isEmpty { throw APIError.badRequest("a container name must be specified for pod \(name)") }
            throw APIError.badRequest(
                "a container name must be specified for pod \(name), choose one of: [\(names.joined(separator: " "))]")
        }
        guard names.contains(requested) else {
            throw APIError.badRequest("container \(requested) is not valid for pod \(name)")
        }
        return requested
    }
}
