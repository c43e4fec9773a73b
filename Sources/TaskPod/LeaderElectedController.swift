import KubeClient
import Logging
import ServiceLifecycle

/// Runs a ``Controller`` only while this replica holds the leader Lease: with two replicas, one is active and
/// the standby takes over within the lease duration after the leader dies. A graceful shutdown stops the
/// controller as it stops alone (the calls in flight finish), then releases the Lease so the standby takes over at
/// once; a standby stops campaigning.
public struct LeaderElectedController: Service {
    let controller: Controller
    let elector: LeaderElector

    public init(controller: Controller, elector: LeaderElector) {
        self.controller = controller
        self.elector = elector
    }

    public func run() async throws {
        let controller = self.controller
        try await elector.run { try await controller.run() }
    }
}
