import Foundation
import JSON

extension KubeClient {
    static func leasePath(name: String?, namespace: String) -> String {
        let base = "/apis/coordination.k8s.io/v1/namespaces/\(percentEncode(namespace))/leases"
        return name.map { base + "/" + percentEncode($0) } ?? base
    }

    /// Reads a Lease. - Throws: ``KubeError`` `.notFound` when there is none.
    public func lease(name: String, namespace: String) async throws -> Lease {
        let path = KubeClient.leasePath(name: name, namespace: namespace)
        return try KubeClient.decode(Lease.self, from: try await send(.get, path), request: "GET \(path)")
    }

    /// Creates a Lease. - Throws: ``KubeError`` `.alreadyExists` when another holder created it first.
    public func createLease(_ lease: Lease) async throws -> Lease {
        let path = KubeClient.leasePath(name: nil, namespace: lease.metadata.namespace ?? config.namespace)
        let body = try JSONEncoder().encode(lease)
        return try KubeClient.decode(Lease.self, from: try await send(.post, path, body: Array(body)), request: "POST \(path)")
    }

    /// Replaces a Lease; its `metadata.resourceVersion` makes this conditional.
    /// - Throws: ``KubeError`` `.conflict` when someone else updated it since it was read.
    public func updateLease(_ lease: Lease) async throws -> Lease {
        let path = KubeClient.leasePath(name: lease.metadata.name, namespace: lease.metadata.namespace ?? config.namespace)
        let body = try JSONEncoder().encode(lease)
        return try KubeClient.decode(Lease.self, from: try await send(.put, path, body: Array(body)), request: "PUT \(path)")
    }
}
