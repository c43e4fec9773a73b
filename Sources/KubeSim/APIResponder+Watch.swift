import HTTPTypes
import Hummingbird
import JSON
import NIOCore

extension APIResponder {
    /// Watches without `timeoutSeconds` end after this long, as the API server's default minimum request timeout.
    static let defaultWatchTimeout: Duration = .seconds(1800)

    /// Thrown from a watch's body to cut its connection mid-stream (a dropped watch).
    struct WatchDropped: Error {}

    /// A watch: 200 and a chunked stream of `{"type":…,"object":…}` lines. A too-old resourceVersion is still a
    /// 200, with one ERROR event (410 Expired) before the stream ends. With `table`, each Pod is sent as a Table
    /// of one row, the column definitions only in the first, as the API server does for `kubectl get -w`.
    func watch(
        _ filter: PodFilter, resource: APIResource, query: QueryParameters, table: TableRequest?
    ) throws(APIError) -> Response {
        var from: Int64?
        if let text = query["resourceVersion"], !text.isEmpty {
            guard let version = Int64(text), version >= 0 else {
                throw APIError.badRequest("invalid resource version: \(text.quoted)")
            }
            from = version
        }
        let bookmarks = try query.bool("allowWatchBookmarks") ?? false
        let timeout = try query.int("timeoutSeconds").flatMap { $0 > 0 ? Duration.seconds($0) : nil }
            ?? Self.defaultWatchTimeout

        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-cache, private"
        let store = store
        switch store.watch(filter, resource: resource, from: from, bookmarks: bookmarks) {
        case .expired(let error):
            let line = WatchEvent(kind: .error, object: error.status).line
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: line))
                try await writer.finish(nil)
            })
        case .subscribed(let subscription):
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                defer { store.endWatch(subscription.id) }
                var headersSent = false
                func line(_ event: WatchEvent) -> String {
                    guard let table, event.kind == .added || event.kind == .modified || event.kind == .deleted else {
                        return event.line
                    }
                    let metadata: JSONValue = ["resourceVersion": event.object[path: "metadata", "resourceVersion"] ?? ""]
                    defer { headersSent = true }
                    let object = table.table(
                        [event.object], of: resource, metadata: metadata, headers: !headersSent)
                    return WatchEvent(kind: event.kind, object: object).line
                }
                var batch = ""
                for event in subscription.initial {
                    batch += line(event)
                    if batch.utf8.count >= 64 * 1024 {
                        try await writer.write(ByteBuffer(string: batch))
                        batch = ""
                    }
                }
                if !batch.isEmpty { try await writer.write(ByteBuffer(string: batch)) }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await Task.sleep(for: timeout)
                        store.endWatch(subscription.id)
                    }
                    for await event in subscription.events {
                        try await writer.write(ByteBuffer(string: line(event)))
                    }
                    group.cancelAll()
                }
                if store.wasDropped(subscription.id) { throw WatchDropped() }
                try await writer.finish(nil)
            })
        }
    }
}
