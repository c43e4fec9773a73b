import JSON
import Synchronization

extension PodStore {
    /// Stores a new Lease (validated and defaulted), with the next resourceVersion.
    ///
    /// - Throws: ``APIError`` 409 `AlreadyExists`.
    func createLease(_ lease: JSONValue) throws(APIError) -> JSONValue {
        let key = Self.key(of: lease)
        return try state.withLock { state throws(APIError) -> JSONValue in
            guard state.leases[key] == nil else { throw APIError.leaseAlreadyExists(key.name) }
            state.resourceVersion += 1
            var stored = lease
            stored[path: "metadata", "resourceVersion"] = .string(String(state.resourceVersion))
            stored = PodDefaults.ordered(stored)
            state.leases[key] = stored
            return stored
        }
    }

    func lease(_ key: PodKey) -> JSONValue? {
        state.withLock { $0.leases[key] }
    }

    /// The Leases of a namespace (or all) matching `labels`, in key order, and the list's resourceVersion.
    func leases(namespace: String?, labels: LabelSelector) -> (items: [JSONValue], resourceVersion: Int64) {
        state.withLock { state in
            let items = state.leases.keys.sorted().compactMap { key -> JSONValue? in
                if let namespace, key.namespace != namespace { return nil }
                guard let lease = state.leases[key] else { return nil }
                var leaseLabels: [String: String] = [:]
                for (name, value) in lease[path: "metadata", "labels"]?.objectValue ?? [:] {
                    if let text = value.stringValue { leaseLabels[name] = text }
                }
                return labels.matches(leaseLabels) ? lease : nil
            }
            return (items, state.resourceVersion)
        }
    }

    /// Replaces a Lease with `transform`'s result (which may throw 409 Conflict); no change, no new version.
    ///
    /// - Returns: The stored Lease, `nil` when there is none.
    func updateLease(
        _ key: PodKey, _ transform: (JSONValue) throws(APIError) -> JSONValue
    ) throws(APIError) -> JSONValue? {
        try state.withLock { state throws(APIError) -> JSONValue? in
            guard let old = state.leases[key] else { return nil }
            var updated = try transform(old)
            updated[path: "metadata", "resourceVersion"] = old[path: "metadata", "resourceVersion"]
            if updated == old { return old }
            state.resourceVersion += 1
            updated[path: "metadata", "resourceVersion"] = .string(String(state.resourceVersion))
            updated = PodDefaults.ordered(updated)
            state.leases[key] = updated
            return updated
        }
    }

    /// Removes a Lease; returns it, `nil` when there was none.
    func deleteLease(_ key: PodKey) -> JSONValue? {
        state.withLock { state in
            guard let lease = state.leases.removeValue(forKey: key) else { return nil }
            state.resourceVersion += 1
            return lease
        }
    }

    private static func key(of object: JSONValue) -> PodKey {
        PodKey(
            namespace: object[path: "metadata", "namespace"]?.stringValue ?? "",
            name: object[path: "metadata", "name"]?.stringValue ?? "")
    }
}
