import KubeClient
import TaskStore

/// Maps what is known of a task's Pod to the task's next state: a pure state machine, tested without I/O.
///
/// The Pod's phase drives the state: Pending → `launched`, Running → `running`, Succeeded → `success`,
/// Failed → `failed` with the first failing container's reason and exit code. Fatal waiting reasons fail a
/// Pending Pod early; a Pod deleted or lost under a live task fails it.
public struct TaskLifecycle: Sendable {
    public enum Action: Sendable, Equatable {
        case none
        /// Record that the Pod runs (on `node`).
        case markRunning(node: String?)
        /// The Pod ended: store its log, then record the final state, then apply the cleanup policy.
        case finish(TaskState, reason: String?)
        /// The Pod is gone under a live task: record the failure (no log to read).
        case fail(reason: String)
        /// The user cancelled: delete the Pod, then record `cancelled`.
        case cancel
        /// Give up on a Pod that never ran (pending timeout): store what log there is, record the failure,
        /// and delete the Pod whatever the cleanup policy says.
        case abandon(reason: String)
    }

    public private(set) var state: TaskState
    let imagePullGrace: Duration
    let pendingTimeout: Duration?

    /// Waiting reasons that fail a Pending Pod at once.
    static let fatalWaitingReasons: Set<String> = [
        "InvalidImageName", "CreateContainerConfigError", "CreateContainerError", "ImageInspectError",
    ]
    /// Waiting reasons that fail a Pending Pod once they last longer than the image pull grace.
    static let imagePullReasons: Set<String> = ["ErrImagePull", "ImagePullBackOff"]

    /// - Parameters:
    ///   - imagePullGrace: how long ErrImagePull / ImagePullBackOff may last.
    ///   - pendingTimeout: how long a Pod may stay Pending (`worker_pods_pending_timeout`); nil for ever.
    public init(state: TaskState, imagePullGrace: Duration = .seconds(120), pendingTimeout: Duration? = nil) {
        self.state = state
        self.imagePullGrace = imagePullGrace
        self.pendingTimeout = pendingTimeout
    }

    /// A new view of the Pod arrived.
    ///
    /// - Parameters:
    ///   - waitingFor: how long the task has been launched (for the image pull grace).
    public mutating func podObserved(_ pod: Pod, launchedFor waitingFor: Duration = .zero) -> Action {
        guard !state.isFinal else { return .none }
        switch pod.phase {
        case .succeeded:
            state = .success
            return .finish(.success, reason: nil)
        case .failed:
            state = .failed
            return .finish(.failed, reason: TaskLifecycle.failureReason(pod))
        case .running:
            guard state != .running else { return .none }
            state = .running
            return .markRunning(node: pod.spec?.nodeName)
        case .pending, .unknown, nil:
            if let (reason, message) = TaskLifecycle.waiting(pod) {
                if TaskLifecycle.fatalWaitingReasons.contains(reason)
                    || (TaskLifecycle.imagePullReasons.contains(reason) && waitingFor >= imagePullGrace)
                {
                    state = .failed
                    return .finish(.failed, reason: message.map { "\(reason): \($0)" } ?? reason)
                }
            }
            if let pendingTimeout, waitingFor >= pendingTimeout {
                state = .failed
                return .abandon(reason: "PendingTimeout: Pending for more than \(Int(pendingTimeout.components.seconds)) s"
                    + (TaskLifecycle.pendingReason(pod).map { ": \($0)" } ?? ""))
            }
            if state == .queued { state = .launched }
            return .none
        }
    }

    /// The Pod was deleted (a DELETED event) or is missing from a synced cache past the grace.
    public mutating func podGone(deletedWhileRunning: Bool) -> Action {
        guard !state.isFinal else { return .none }
        state = .failed
        return .fail(reason: deletedWhileRunning ? "PodDeleted" : "PodLost")
    }

    /// A user asked to cancel the task.
    public mutating func cancelRequested() -> Action {
        guard !state.isFinal else { return .none }
        state = .cancelled
        return .cancel
    }

    /// Why a Pod is still Pending, when the Pod says: the Unschedulable message, else a waiting reason.
    static func pendingReason(_ pod: Pod) -> String? {
        if let condition = pod.status?.conditions?.first(where: { $0.type == "PodScheduled" && $0.status == "False" }) {
            return [condition.reason, condition.message].compactMap { $0 }.joined(separator: ": ")
        }
        if let (reason, message) = waiting(pod) { return message.map { "\(reason): \($0)" } ?? reason }
        return nil
    }

    /// The first waiting reason of the Pod's containers (init containers first), with its message.
    static func waiting(_ pod: Pod) -> (String, String?)? {
        let statuses = (pod.status?.initContainerStatuses ?? []) + (pod.status?.containerStatuses ?? [])
        for status in statuses {
            if let waiting = status.state?.waiting, let reason = waiting.reason, reason != "ContainerCreating", reason != "PodInitializing" {
                return (reason, waiting.message)
            }
        }
        return nil
    }

    /// Why a Failed Pod failed, as a person would act on it: `OOMKilled`, `Error, exit code 3`,
    /// `Evicted: <message>`, `DeadlineExceeded`.
    public static func failureReason(_ pod: Pod) -> String {
        if let reason = pod.status?.reason, !reason.isEmpty {
            if let message = pod.status?.message, !message.isEmpty { return "\(reason): \(message)" }
            return reason
        }
        let statuses = (pod.status?.initContainerStatuses ?? []) + (pod.status?.containerStatuses ?? [])
        let base = statuses.first { $0.name == PodBuilder.baseContainer && ($0.state?.terminated?.exitCode ?? 0) != 0 }
        let failing = base ?? statuses.first { ($0.state?.terminated?.exitCode ?? 0) != 0 }
        if let terminated = failing?.state?.terminated {
            let reason = terminated.reason ?? "Error"
            if reason == "OOMKilled" { return "OOMKilled" }
            return "\(reason), exit code \(terminated.exitCode)"
        }
        if let (reason, message) = waiting(pod) { return message.map { "\(reason): \($0)" } ?? reason }
        return pod.status?.message ?? "Failed"
    }
}
