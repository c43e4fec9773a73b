@testable import KubeClient
import Testing

@Suite("KubeClient meters")
struct KubeClientMetersTests {
    @Test("a request's Kubernetes verb from its method, path and query", arguments: [
        (HTTPRequest.Method.post, "/api/v1/namespaces/default/pods", false, "create"),
        (.get, "/api/v1/namespaces/default/pods", false, "list"),
        (.get, "/api/v1/pods", false, "list"),
        (.get, "/api/v1/namespaces/default/pods", true, "watch"),
        (.get, "/api/v1/namespaces/default/pods/p1", false, "get"),
        (.get, "/api/v1/namespaces/default/pods/p1/log", false, "get"),
        (.get, "/api/v1/namespaces/default/events", false, "list"),
        (.get, "/apis/coordination.k8s.io/v1/namespaces/taskpod/leases/taskpod", false, "get"),
        (.put, "/apis/coordination.k8s.io/v1/namespaces/taskpod/leases/taskpod", false, "update"),
        (.patch, "/api/v1/namespaces/default/pods/p1", false, "patch"),
        (.delete, "/api/v1/namespaces/default/pods/p1", false, "delete"),
    ])
    func verb(method: HTTPRequest.Method, path: String, watch: Bool, expected: String) {
        let query: [(String, String)] = watch ? [("watch", "true"), ("timeoutSeconds", "300")] : [("limit", "500")]
        #expect(KubeClientMeters.verb(method, path: path, query: query) == expected)
    }
}
