import TaskStore

/// A small fixed set of classes of the free-text reasons a task's transitions carry, fit for a metric label (the
/// free text never is: `Evicted: <message>` would make a series per message).
public enum ReasonClass: String, Sendable, CaseIterable {
    case none, exitCode = "exit_code", oom, imagePull = "image_pull", pendingTimeout = "pending_timeout"
    case queuedTimeout = "queued_timeout", podLost = "pod_lost", podDeleted = "pod_deleted", evicted, cancelled
    case invalid, other

    /// The class of `reason` by its prefix, the words the controller writes (TaskLifecycle, the launcher, the store).
    public init(reason: String?) {
        guard let reason, !reason.isEmpty else {
            self = .none
            return
        }
        let head = reason.prefix { $0 != ":" && $0 != "," }
        switch head {
        case "OOMKilled": self = .oom
        case "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ImageInspectError": self = .imagePull
        case "PendingTimeout": self = .pendingTimeout
        case "QueuedTimeout": self = .queuedTimeout
        case "PodLost": self = .podLost
        case "PodDeleted": self = .podDeleted
        case "Evicted": self = .evicted
        case "Cancelled", "cancelled by user": self = .cancelled
        case "InvalidPodOverride", "PodRejected", "PodNameConflict", "CreateContainerConfigError", "CreateContainerError":
            self = .invalid
        default:
            self = reason.contains("exit code ") ? .exitCode : .other
        }
    }
}
