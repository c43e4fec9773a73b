/// The informer's store: the latest Pod by `namespace/name`, as the transform left it, and the events each change
/// makes. A value type, so the informer's bookkeeping is tested (and benchmarked) without I/O.
///
/// Where entries leave (STYLE 14): a Pod leaves on its DELETED event, and on a relist that no longer finds it.
public struct InformerCache: Sendable {
    /// Turns each Pod received into the one kept and handed out, e.g. ``Pod/keeping(labels:annotations:)``: what
    /// controller-runtime's `TransformFunc` is, so the cache holds only what its reader uses.
    public typealias Transform = @Sendable (Pod) -> Pod

    public private(set) var pods: [String: Pod] = [:]
    let transform: Transform?

    public init(transform: Transform? = nil) {
        self.transform = transform
    }

    static func key(_ pod: Pod) -> String { "\(pod.namespace)/\(pod.name)" }

    public var count: Int { pods.count }

    /// Applies one watch event; returns what to tell the handler (nil for a bookmark or an error, which the caller
    /// handles).
    public mutating func apply(_ event: WatchEvent<Pod>) -> InformerEvent? {
        switch event {
        case .added(let pod), .modified(let pod):
            let pod = transform?(pod) ?? pod
            let key = InformerCache.key(pod)
            if let old = pods.updateValue(pod, forKey: key) {
                return .updated(old: old, new: pod)
            }
            return .added(pod)
        case .deleted(let pod):
            let pod = transform?(pod) ?? pod
            pods[InformerCache.key(pod)] = nil
            return .deleted(pod)
        case .bookmark, .error:
            return nil
        }
    }

    /// Replaces the cache with a list's Pods; returns the differences: the Pods gone as deleted (with their last
    /// state), then the new ones as added and the changed ones (by resourceVersion) as updated.
    ///
    /// - Parameters:
    ///   - transformed: The Pods went through the transform already (page by page, as the list arrived).
    public mutating func replace(with listed: [Pod], transformed: Bool = false) -> [InformerEvent] {
        var fresh: [String: Pod] = [:]
        fresh.reserveCapacity(listed.count)
        for pod in listed {
            let pod = transformed ? pod : transform?(pod) ?? pod
            fresh[InformerCache.key(pod)] = pod
        }
        var events: [InformerEvent] = []
        for (key, old) in pods where fresh[key] == nil { events.append(.deleted(old)) }
        for (key, pod) in fresh {
            if let old = pods[key] {
                if old.metadata.resourceVersion != pod.metadata.resourceVersion { events.append(.updated(old: old, new: pod)) }
            } else {
                events.append(.added(pod))
            }
        }
        pods = fresh
        return events
    }
}
