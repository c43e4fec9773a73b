import KubeClient
import Synchronization

/// The controller's view of its Pods, fed by the informer: the latest Pod by namespace/name, the Pods seen deleted,
/// and whether the cache holds the server's whole state.
///
/// The Pods are the informer's transformed ones (``Controller/cachedView``): only what the reconcile reads, so that
/// 10,000 live Pods cost a fraction of 10,000 whole Pods.
///
/// Where entries leave (STYLE 14): a Pod leaves `pods` when the informer reports it deleted (also when a relist no
/// longer finds it, or when it is labelled done and leaves the watch). A deleted Pod's mark leaves `deleted` once the
/// reconcile that reads it recorded the task's final state (``forgetDeleted(namespace:name:)``), and at the latest
/// ``deletedTTL`` after the deletion (``expireDeleted(now:)``, called by the resync loop), so the cache never grows
/// with the number of tasks ever run.
final class PodCache: Sendable {
    /// How long a deletion is remembered when no reconcile forgets it first.
    static let deletedTTL: Duration = .seconds(600)

    private struct State {
        var pods: [String: Pod] = [:]
        var deleted: [String: ContinuousClock.Instant] = [:]
        var synced = false
        var syncedInformers: Set<Int> = []
    }

    private let state = Mutex(State())

    static func key(namespace: String, name: String) -> String { "\(namespace)/\(name)" }

    func upsert(_ pod: Pod) {
        let key = PodCache.key(namespace: pod.namespace, name: pod.name)
        state.withLock {
            $0.pods[key] = pod
            $0.deleted[key] = nil
        }
    }

    func remove(_ pod: Pod, at now: ContinuousClock.Instant = .now) {
        let key = PodCache.key(namespace: pod.namespace, name: pod.name)
        state.withLock {
            $0.pods[key] = nil
            $0.deleted[key] = now
        }
    }

    func pod(namespace: String, name: String) -> Pod? {
        state.withLock { $0.pods[PodCache.key(namespace: namespace, name: name)] }
    }

    func wasDeleted(namespace: String, name: String) -> Bool {
        state.withLock { $0.deleted[PodCache.key(namespace: namespace, name: name)] != nil }
    }

    func forgetDeleted(namespace: String, name: String) {
        _ = state.withLock { $0.deleted.removeValue(forKey: PodCache.key(namespace: namespace, name: name)) }
    }

    /// Forgets the deletions older than ``deletedTTL``; returns how many.
    @discardableResult
    func expireDeleted(now: ContinuousClock.Instant = .now) -> Int {
        state.withLock { state in
            let before = state.deleted.count
            state.deleted = state.deleted.filter { now - $0.value < PodCache.deletedTTL }
            return before - state.deleted.count
        }
    }

    /// How many Pods and deletion marks the cache holds.
    var sizes: (pods: Int, deleted: Int) { state.withLock { ($0.pods.count, $0.deleted.count) } }

    /// True once every informer listed at least once.
    var synced: Bool { state.withLock { $0.synced } }

    /// Informer `informer` (of `count`) finished a list; the cache is synced once each has.
    func markSynced(informer: Int, of count: Int) {
        state.withLock {
            $0.syncedInformers.insert(informer)
            if $0.syncedInformers.count >= count { $0.synced = true }
        }
    }

    /// Forgets that the informers listed (a controller starting again after a lost Lease lists afresh); the Pods
    /// stay until the new lists replace them.
    func unsync() {
        state.withLock {
            $0.syncedInformers = []
            $0.synced = false
        }
    }

    var allPods: [Pod] { state.withLock { Array($0.pods.values) } }
}
