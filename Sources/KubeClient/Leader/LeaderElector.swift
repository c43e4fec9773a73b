import Foundation
import Logging
import ServiceLifecycle

/// Runs work only while this process holds a Lease; releases the Lease when the work ends.
///
/// ```swift
/// let elector = LeaderElector(client: client, name: "taskpod", namespace: "taskpod", identity: podName, logger: logger)
/// try await elector.run { try await controller.run() }
/// ```
public struct LeaderElector: Sendable {
    public let client: KubeClient
    public let name: String
    public let namespace: String
    public let identity: String
    public let timing: LeaderElection.Timing
    /// Leading or standby, as the election goes; shared by the copies of this elector.
    public let status = LeadershipStatus()
    let logger: Logger

    public init(client: KubeClient, name: String, namespace: String, identity: String,
                timing: LeaderElection.Timing = .init(), logger: Logger) {
        self.client = client
        self.name = name
        self.namespace = namespace
        self.identity = identity
        self.timing = timing
        self.logger = logger
    }

    /// Campaigns until it leads, then runs `lead` while renewing; stops `lead` (by cancellation) when the Lease is
    /// lost, and campaigns again. When `lead` returns (for example after a graceful shutdown, which `lead` sees as
    /// its own), it releases the Lease so a standby takes over at once, and returns. A graceful shutdown while
    /// campaigning ends the campaign; cancellation ends everything at once (then the Lease is left to expire).
    public func run(_ lead: @escaping @Sendable () async throws -> Void) async throws {
        var election = LeaderElection(identity: identity, timing: timing)
        defer { status.set(.idle) }
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            status.set(.standby)
            let start = election
            let won: LeaderElection? = await cancelWhenGracefulShutdown {
                var campaign = start
                return await self.acquire(&campaign) ? campaign : nil
            }
            guard let won else { return }
            election = won
            status.set(.leading)
            logger.notice("leading", metadata: ["lease.name": "\(name)", "lease.holder": "\(identity)"])
            let lost = await withTaskGroup(of: Bool.self) { group -> Bool in
                group.addTask {
                    try? await lead()
                    return false
                }
                group.addTask { await renew() }
                let first = await group.next() ?? false
                group.cancelAll()
                return first
            }
            if lost {
                logger.warning("lost the lease; stopped leading", metadata: ["lease.name": "\(name)"])
                continue
            }
            await release()
            return
        }
    }

    /// Tries every retry period until the Lease is ours; false when cancelled.
    func acquire(_ election: inout LeaderElection) async -> Bool {
        while !Task.isCancelled {
            if (try? await tryTake(&election)) == true { return true }
            do {
                try await Task.sleep(for: KubeClient.jittered(timing.retryPeriod))
            } catch {
                return false
            }
        }
        return false
    }

    func tryTake(_ election: inout LeaderElection) async throws -> Bool {
        let current: Lease?
        do {
            current = try await client.lease(name: name, namespace: namespace)
        } catch let error as KubeError where error.code == .notFound {
            current = nil
        }
        switch election.observe(current?.spec, now: .now) {
        case .wait:
            return false
        case .take(let transition):
            let now = LeaderElection.microTime()
            var spec = current?.spec ?? LeaseSpec(leaseTransitions: 0)
            if transition || spec.acquireTime == nil {
                spec.acquireTime = now
                if current != nil, (spec.holderIdentity ?? "") != identity { spec.leaseTransitions = (spec.leaseTransitions ?? 0) + 1 }
            }
            spec.holderIdentity = identity
            spec.renewTime = now
            spec.leaseDurationSeconds = Int(timing.leaseDuration.components.seconds)
            do {
                if var lease = current {
                    lease.spec = spec
                    _ = try await client.updateLease(lease)
                } else {
                    _ = try await client.createLease(Lease(metadata: ObjectMeta(name: name, namespace: namespace), spec: spec))
                }
                return true
            } catch let error as KubeError where error.code == .conflict || error.code == .alreadyExists {
                return false
            }
        }
    }

    /// Renews every retry period; returns true when renewal failed for the renew deadline (the Lease is lost).
    func renew() async -> Bool {
        var election = LeaderElection(identity: identity, timing: timing)
        var lastRenewed = ContinuousClock.now
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: timing.retryPeriod)
            } catch {
                return false
            }
            if (try? await tryTake(&election)) == true {
                lastRenewed = .now
            } else if ContinuousClock.now - lastRenewed >= timing.renewDeadline {
                return true
            }
        }
        return false
    }

    /// Gives the Lease up so a standby takes over at once instead of after the lease duration.
    func release() async {
        guard var lease = try? await client.lease(name: name, namespace: namespace), lease.spec.holderIdentity == identity else { return }
        lease.spec.holderIdentity = ""
        lease.spec.leaseDurationSeconds = 1
        lease.spec.renewTime = LeaderElection.microTime()
        if (try? await client.updateLease(lease)) != nil {
            logger.notice("released the lease", metadata: ["lease.name": "\(name)"])
        }
    }
}
