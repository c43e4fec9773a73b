import JSON
import Synchronization

/// What the simulated node holds for one Pod: its containers' logs and whether its deletion was asked for.
final class PodRuntime: Sendable {
    let key: PodKey
    let uid: String
    /// The container the kubelet runs: `base`, else the first.
    let mainContainer: String
    /// Every container's log, by name; only the main container's ever gets lines.
    let logs: [String: ContainerLog]
    let containerNames: [String]
    /// Every container's name and image, in the Pod's order.
    let containerImages: [(name: String, image: String)]

    private struct Deletion {
        var gracePeriodSeconds: Int64?
        var waiters: [Int: CheckedContinuation<Int64?, Never>] = [:]
        var nextWaiterID = 0
    }

    private let deletion = Mutex(Deletion())

    init(pod: JSONValue, key: PodKey, logLineLimit: Int) {
        self.key = key
        uid = pod[path: "metadata", "uid"]?.stringValue ?? ""
        let containers = pod[path: "spec", "containers"]?.arrayValue ?? []
        let names = containers.compactMap { $0["name"]?.stringValue }
        containerNames = names
        containerImages = containers.compactMap { container in
            container["name"]?.stringValue.map { ($0, container["image"]?.stringValue ?? "") }
        }
        mainContainer = names.contains("base") ? "base" : names.first ?? "base"
        var logs: [String: ContainerLog] = [:]
        for name in names { logs[name] = ContainerLog(lineLimit: logLineLimit) }
        self.logs = logs
    }

    var mainLog: ContainerLog? { logs[mainContainer] }

    /// Finishes every container's log: the containers have stopped.
    func finishLogs() {
        for log in logs.values { log.finish() }
    }

    /// Asks the kubelet to stop the Pod; a second request may only shorten the grace period.
    func requestDeletion(gracePeriodSeconds: Int64) {
        let waiters = deletion.withLock { state -> [CheckedContinuation<Int64?, Never>] in
            let grace = min(state.gracePeriodSeconds ?? gracePeriodSeconds, gracePeriodSeconds)
            state.gracePeriodSeconds = grace
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        let grace = deletionGracePeriod
        waiters.forEach { $0.resume(returning: grace) }
    }

    /// The grace period of the requested deletion, `nil` while none was asked.
    var deletionGracePeriod: Int64? { deletion.withLock { $0.gracePeriodSeconds } }

    /// Waits until deletion is requested and returns its grace period; `nil` when the task is cancelled first.
    func waitForDeletion() async -> Int64? {
        let id = deletion.withLock { state -> Int in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int64?, Never>) in
                let immediate = deletion.withLock { state -> Int64?? in
                    if let grace = state.gracePeriodSeconds { return .some(grace) }
                    if Task.isCancelled { return .some(nil) }
                    state.waiters[id] = continuation
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            deletion.withLock { $0.waiters.removeValue(forKey: id) }?.resume(returning: nil)
        }
    }
}
