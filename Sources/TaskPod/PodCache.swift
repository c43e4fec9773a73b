import KubeClient
import Synchronization

/// The controller's view of its Pods, fed by the informer: the latest Pod by namespace/name, the Pods
/// seen deleted, and whether the cache holds the server's whole state.
final class PodCache: Sendable {
    private struct State {
        var pods: [String: Pod] = [:]
        var deleted: Set<String> = []
        var synced = false
        var syncedInformers: Set<Int> = []
    }

    private let state = Mutex(State())

    static func key(namespace: String, name: String) -> String { "\(namespace)/\(name)" }

    func upsert(_ pod: Pod) {
        let key = PodCache.key(namespace: pod.namespace, name: pod.name)
        state.withLock {
            $0.pods[key] = pod
            $0.deleted.remove(key)
        }
    }

    func remove(_ pod: Pod) {
        let key = PodCache.key(namespace: pod.namespace, name: pod.name)
        state.withLock {
            $0.pods[key] = nil
            $0.deleted.insert(key)
        }
    }

    func pod(namespace: String, name: String) -> Pod? {
        state.withLock { $0.pods[PodCache.key(namespace: namespace, name: name)] }
    }

    func wasDeleted(namespace: String, name: String) -> Bool {
        state.withLock { $0.deleted.contains(PodCache.key(namespace: namespace, name: name)) }
    }

    func forgetDeleted(namespace: String, name: String) {
        _ = state.withLock { $0.deleted.remove(PodCache.key(namespace: namespace, name: name)) }
    }

    /// True once every informer listed at least once.
    var synced: Bool { state.withLock { $0.synced } }

    /// Informer `informer` (of `count`) finished a list; the cache is synced once each has.
    func markSynced(informer: Int, of count: Int) {
        state.withLock {
            $0.syncedInformers.insert(informer)
            if $0.syncedInformers.count >= count { $0.synced = true }
        }
    }

    var allPods: [Pod] { state.withLock { Array($0.pods.values) } }
}
