import Foundation

extension KubeClient {
    private struct CoreEventList: Decodable {
        var metadata: ListMeta
        var items: [CoreEvent]
    }

    static func eventsPath(namespace: String) -> String {
        "/api/v1/namespaces/\(KubeClient.percentEncode(namespace))/events"
    }

    /// The core/v1 Events about one Pod, oldest first (by ``CoreEvent/time``), as `kubectl describe pod` finds
    /// them: a field selector on the involved object's kind, name and namespace (and uid when given, so that
    /// an earlier Pod of the same name is left out).
    ///
    /// - Parameters:
    ///   - name: The Pod's name.
    ///   - namespace: The Pod's namespace, where its Events are.
    ///   - uid: The Pod's uid, to leave out the Events of earlier Pods of the same name.
    /// - Throws: ``KubeError`` or ``TransportError`` when the list fails (after retries).
    ///
    /// ```swift
    /// let warnings = try await client.podEvents(name: pod.name, namespace: pod.namespace, uid: pod.metadata.uid)
    ///     .filter { $0.type == "Warning" }
    /// ```
    public func podEvents(name: String, namespace: String, uid: String? = nil) async throws -> [CoreEvent] {
        var selector = "involvedObject.kind=Pod,involvedObject.name=\(name),involvedObject.namespace=\(namespace)"
        if let uid, !uid.isEmpty { selector += ",involvedObject.uid=\(uid)" }
        let path = KubeClient.eventsPath(namespace: namespace)
        var events: [CoreEvent] = []
        var token: String?
        repeat {
            var query = [("fieldSelector", selector), ("limit", "500")]
            if let token { query.append(("continue", token)) }
            let response = try await send(.get, path, query: query)
            let page = try KubeClient.decode(CoreEventList.self, from: response, request: "GET \(path)")
            events += page.items
            token = page.metadata.continue.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        return events.enumerated().sorted { left, right in
            let (leftTime, rightTime) = (left.element.time ?? .distantPast, right.element.time ?? .distantPast)
            return leftTime == rightTime ? left.offset < right.offset : leftTime < rightTime
        }.map(\.element)
    }
}
