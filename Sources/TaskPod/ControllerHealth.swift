import KubeClient
import TaskStore

/// What `/healthz` and `/readyz` answer for a controller process.
///
/// ```swift
/// let health = ControllerHealth(controller: controller, store: store, elector: elector)  // elector: nil without HA
/// router.get("/healthz") { _, _ in let (ok, body) = health.liveness(); ... }
/// router.get("/readyz") { _, _ in let (ready, body) = await health.readiness(); ... }
/// ```
public struct ControllerHealth: Sendable {
    let controller: Controller
    let store: TaskStore
    let leadership: LeadershipStatus?

    /// - Parameter elector: the replica's leader election, or nil when the controller runs alone (always active).
    public init(controller: Controller, store: TaskStore, elector: LeaderElector?) {
        self.init(controller: controller, store: store, leadership: elector?.status)
    }

    /// - Parameter leadership: the replica's election state (``LeaderElector/status``), or nil when it runs alone.
    public init(controller: Controller, store: TaskStore, leadership: LeadershipStatus?) {
        self.controller = controller
        self.store = store
        self.leadership = leadership
    }

    /// Liveness: false when a loop of the controller is stuck, with which one; a standby is alive.
    public func liveness() -> (ok: Bool, body: String) {
        let (ok, detail) = controller.health()
        return (ok, detail + "\n")
    }

    /// Readiness: the store answers, and either this replica leads (or runs alone) and its informers have synced,
    /// or it is a standby campaigning for the Lease. The body says which, or what is missing.
    public func readiness() async -> (ready: Bool, body: String) {
        do {
            try await store.ping()
        } catch {
            return (false, "not ready: the task store does not answer: \(error)\n")
        }
        switch leadership?.role {
        case .standby:
            return (true, "ready: standby (another replica holds the Lease); store answers\n")
        case .idle:
            return (false, "not ready: not campaigning for the Lease (starting or stopping)\n")
        case .leading, nil:
            let role = leadership == nil ? "active (no leader election)" : "leader"
            guard controller.informersSynced else {
                return (false, "not ready: \(role); store answers; informers not synced yet\n")
            }
            return (true, "ready: \(role); store answers; informers synced\n")
        }
    }
}
