import Synchronization

/// Whether this replica leads, observable from outside the election (a readiness probe, a metric).
///
/// ```swift
/// let elector = LeaderElector(client: client, name: "taskpod", namespace: "taskpod", identity: podName, logger: logger)
/// if elector.status.role == .leading { ... }
/// ```
public final class LeadershipStatus: Sendable {
    public enum Role: String, Sendable, Equatable {
        /// Not campaigning yet, or done (stopped or shut down).
        case idle
        /// Campaigning: another replica holds the Lease (or nobody answered yet). A ready standby.
        case standby
        /// Holds the Lease and runs the work.
        case leading
    }

    private let current = Mutex(Role.idle)

    public init() {}

    /// The role now.
    public var role: Role { current.withLock { $0 } }

    func set(_ role: Role) {
        current.withLock { $0 = role }
    }
}
