import Foundation
import JSON

/// The strategies of `PATCH`.
public enum PatchType: String, Sendable {
    case merge = "application/merge-patch+json"
    case strategicMerge = "application/strategic-merge-patch+json"
    case json = "application/json-patch+json"
}

extension KubeClient {
    static func podsPath(namespace: String?) -> String {
        guard let namespace else { return "/api/v1/pods" }
        return "/api/v1/namespaces/\(KubeClient.percentEncode(namespace))/pods"
    }

    static func podPath(name: String, namespace: String) -> String {
        podsPath(namespace: namespace) + "/" + KubeClient.percentEncode(name)
    }

    /// Creates a Pod.
    ///
    /// - Parameters:
    ///   - pod: the whole Pod as JSON (unknown fields are sent as they are).
    ///   - namespace: where to create it; the pod's `metadata.namespace`, else the config's, when nil.
    /// - Throws: ``KubeError`` with code `.alreadyExists` when the name is taken (for the caller to adopt).
    public func createPod(_ pod: JSONValue, namespace: String? = nil) async throws -> Pod {
        let namespace = namespace ?? pod[path: "metadata", "namespace"]?.stringValue ?? config.namespace
        let path = KubeClient.podsPath(namespace: namespace)
        let response = try await send(.post, path, body: pod.jsonBytes)
        return try KubeClient.decode(Pod.self, from: response, request: "POST \(path)")
    }

    /// Reads one Pod.
    public func pod(name: String, namespace: String? = nil) async throws -> Pod {
        let path = KubeClient.podPath(name: name, namespace: namespace ?? config.namespace)
        let response = try await send(.get, path)
        return try KubeClient.decode(Pod.self, from: response, request: "GET \(path)")
    }

    /// Lists Pods, one page.
    ///
    /// - Parameters:
    ///   - namespace: a namespace, or nil for all namespaces.
    ///   - limit: page size; follow `metadata.continue` with `continueToken` for the next page.
    public func listPods(
        namespace: String?, labelSelector: String? = nil, fieldSelector: String? = nil,
        limit: Int? = nil, continueToken: String? = nil, resourceVersion: String? = nil
    ) async throws -> PodList {
        var query: [(String, String)] = []
        if let labelSelector { query.append(("labelSelector", labelSelector)) }
        if let fieldSelector { query.append(("fieldSelector", fieldSelector)) }
        if let limit { query.append(("limit", String(limit))) }
        if let continueToken { query.append(("continue", continueToken)) }
        if let resourceVersion { query.append(("resourceVersion", resourceVersion)) }
        let path = KubeClient.podsPath(namespace: namespace)
        let response = try await send(.get, path, query: query)
        return try KubeClient.decode(PodList.self, from: response, request: "GET \(path)")
    }

    /// Lists every matching Pod, following `continue` tokens; an expired token (410) restarts the list.
    ///
    /// - Parameters:
    ///   - transform: Applied to each page's Pods as the page arrives, so a long list holds only what is kept of the
    ///     pages before (an informer's transform).
    public func listAllPods(
        namespace: String?, labelSelector: String? = nil, fieldSelector: String? = nil, pageSize: Int = 500,
        transform: (@Sendable (Pod) -> Pod)? = nil
    ) async throws -> PodList {
        var restarts = 0
        while true {
            var items: [Pod] = []
            var token: String? = nil
            var resourceVersion: String? = nil
            do {
                repeat {
                    let page = try await listPods(
                        namespace: namespace, labelSelector: labelSelector, fieldSelector: fieldSelector,
                        limit: pageSize, continueToken: token
                    )
                    if let transform {
                        items.append(contentsOf: page.items.lazy.map(transform))
                    } else {
                        items.append(contentsOf: page.items)
                    }
                    resourceVersion = resourceVersion ?? page.metadata.resourceVersion
                    token = page.metadata.continue.flatMap { $0.isEmpty ? nil : $0 }
                } while token != nil
                return PodList(metadata: ListMeta(resourceVersion: resourceVersion), items: items)
            } catch let error as KubeError where error.code == .expired && token != nil && restarts < 3 {
                restarts += 1
            }
        }
    }

    /// Patches a Pod.
    public func patchPod(name: String, namespace: String? = nil, patch: JSONValue, type: PatchType = .merge) async throws -> Pod {
        let path = KubeClient.podPath(name: name, namespace: namespace ?? config.namespace)
        let response = try await send(.patch, path, body: patch.jsonBytes, contentType: type.rawValue)
        return try KubeClient.decode(Pod.self, from: response, request: "PATCH \(path)")
    }

    /// Deletes a Pod.
    ///
    /// - Throws: ``KubeError`` with code `.notFound` when it is already gone.
    public func deletePod(name: String, namespace: String? = nil, gracePeriodSeconds: Int? = nil) async throws {
        let path = KubeClient.podPath(name: name, namespace: namespace ?? config.namespace)
        var query: [(String, String)] = []
        if let gracePeriodSeconds { query.append(("gracePeriodSeconds", String(gracePeriodSeconds))) }
        _ = try await send(.delete, path, query: query)
    }

    /// Reads a Pod's log (not following it).
    ///
    /// - Parameters:
    ///   - container: the container; the API server picks when the Pod has one.
    ///   - tailLines: only the last lines.
    ///   - limitBytes: at most this many bytes.
    public func podLog(
        name: String, namespace: String? = nil, container: String? = nil, tailLines: Int? = nil,
        limitBytes: Int? = nil, timestamps: Bool = false
    ) async throws -> String {
        let path = KubeClient.podPath(name: name, namespace: namespace ?? config.namespace) + "/log"
        var query: [(String, String)] = []
        if let container { query.append(("container", container)) }
        if let tailLines { query.append(("tailLines", String(tailLines))) }
        if let limitBytes { query.append(("limitBytes", String(limitBytes))) }
        if timestamps { query.append(("timestamps", "true")) }
        let response = try await send(.get, path, query: query, accept: "*/*")
        return response.bodyText
    }

    /// Follows a Pod's log: the body streams until the container ends (or the server stops the stream).
    ///
    /// - Returns: the response, read chunk by chunk with ``ResponseStream/next()``; dropping it stops following.
    /// - Throws: ``KubeError`` (e.g. 400 while the container is still waiting to start).
    public func followPodLog(name: String, namespace: String? = nil, container: String? = nil, limitBytes: Int? = nil) async throws -> ResponseStream {
        let path = KubeClient.podPath(name: name, namespace: namespace ?? config.namespace) + "/log"
        var query: [(String, String)] = [("follow", "true")]
        if let container { query.append(("container", container)) }
        if let limitBytes { query.append(("limitBytes", String(limitBytes))) }
        return try await withRetries(.get, path) {
            try await bucket.acquire()
            let request = try await makeRequest(.get, path, query: query, accept: "*/*", timeout: nil)
            let stream = try await engine.stream(request, bufferLimit: 256 << 10)
            guard (200..<300).contains(stream.head.status) else {
                let body = try await stream.collect(limit: 64 << 10)
                throw KubeClient.error(for: stream.head, body: body, request: "GET \(path) (follow)")
            }
            return stream
        }
    }

    /// Watches Pods from `resourceVersion`.
    ///
    /// - Parameters:
    ///   - namespace: a namespace, or nil for all namespaces.
    ///   - resourceVersion: where to start; nil or "0" starts with the current Pods as ADDED events.
    ///   - timeoutSeconds: the server ends the stream after this long; rewatch from the last version seen.
    /// - Returns: a stream of events; it ends when the server ends the watch.
    /// - Throws: ``KubeError`` (code `.expired` for a 410) when the server refuses the watch.
    public func watchPods(
        namespace: String?, labelSelector: String? = nil, fieldSelector: String? = nil,
        resourceVersion: String? = nil, timeoutSeconds: Int = 300, allowBookmarks: Bool = true
    ) async throws -> PodWatch {
        var query: [(String, String)] = [("watch", "true"), ("timeoutSeconds", String(timeoutSeconds))]
        if let labelSelector { query.append(("labelSelector", labelSelector)) }
        if let fieldSelector { query.append(("fieldSelector", fieldSelector)) }
        if let resourceVersion { query.append(("resourceVersion", resourceVersion)) }
        if allowBookmarks { query.append(("allowWatchBookmarks", "true")) }
        let path = KubeClient.podsPath(namespace: namespace)
        let stream = try await withRetries(.get, path) {
            try await bucket.acquire()
            let request = try await makeRequest(.get, path, query: query, timeout: nil)
            let stream = try await engine.stream(request, bufferLimit: 1 << 20)
            meters.request(verb: "watch", code: String(stream.head.status), duration: nil)
            guard (200..<300).contains(stream.head.status) else {
                let body = try await stream.collect(limit: 64 << 10)
                throw KubeClient.error(for: stream.head, body: body, request: "GET \(path) (watch)")
            }
            return stream
        }
        return PodWatch(stream: stream)
    }
}
