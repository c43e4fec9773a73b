import JSON
import Logging

/// The simulated node: one child task per Pod, moving it through scheduling, container creation, running and
/// termination, and removing it once its deletion was asked for and its containers have stopped.
///
/// Everything runs inside ``run(_:)``, which the ``KubeSim`` service owns; cancelling it stops every Pod's task
/// (and kills every process of `exec` mode).
struct Kubelet: Sendable {
    let store: PodStore
    let configuration: KubeSimConfiguration
    let logger: Logger

    /// Runs each new Pod until cancelled.
    func run(_ pods: AsyncStream<PodRuntime>) async {
        await withDiscardingTaskGroup { group in
            for await runtime in pods {
                group.addTask { await self.runPod(runtime) }
            }
        }
    }

    func runPod(_ runtime: PodRuntime) async {
        var logger = logger
        logger[metadataKey: "pod.namespace"] = "\(runtime.key.namespace)"
        logger[metadataKey: "pod.name"] = "\(runtime.key.name)"
        do {
            try await lifecycle(runtime, logger: logger)
        } catch {
            logger.trace("Pod task ended", metadata: ["error": "\(error)"])
        }
        runtime.finishLogs()
    }

    /// Why a wait ended.
    enum Wake: Sendable {
        case elapsed
        case deleted(gracePeriodSeconds: Int64)
        case cancelled
    }

    /// Sleeps until `deadline`; returns the grace period when the Pod's deletion is asked for first.
    ///
    /// - Throws: `CancellationError` when the task is cancelled (shutdown).
    func sleep(until deadline: ContinuousClock.Instant, orUntilDeletionOf runtime: PodRuntime) async throws -> Int64? {
        if let grace = runtime.deletionGracePeriod { return grace }
        let wake = await withTaskGroup(of: Wake.self) { group in
            group.addTask {
                do {
                    try await Task.sleep(until: deadline, clock: .continuous)
                    return .elapsed
                } catch {
                    return .cancelled
                }
            }
            group.addTask {
                guard let grace = await runtime.waitForDeletion() else { return .cancelled }
                return .deleted(gracePeriodSeconds: grace)
            }
            let first = await group.next() ?? .cancelled
            group.cancelAll()
            return first
        }
        switch wake {
        case .elapsed: return nil
        case .deleted(let grace): return grace
        case .cancelled: throw CancellationError()
        }
    }

    func sleep(for duration: Duration, orUntilDeletionOf runtime: PodRuntime) async throws -> Int64? {
        try await sleep(until: .now + duration, orUntilDeletionOf: runtime)
    }

    /// Repeats a failing step with the kubelet's doubling back-off (from the start delay, at most five minutes)
    /// until the Pod's deletion is asked for: the repeated Events count up.
    func retryUntilDeleted(_ runtime: PodRuntime, _ attempt: () -> Void) async throws {
        var delay = max(configuration.startDelay, .milliseconds(10))
        while try await sleep(for: delay, orUntilDeletionOf: runtime) == nil {
            attempt()
            delay = min(delay * 2, .seconds(300))
        }
    }

    /// Waits for the Pod's deletion and removes it.
    func removeWhenDeleted(_ runtime: PodRuntime) async throws {
        guard await runtime.waitForDeletion() != nil else { throw CancellationError() }
        store.remove(runtime.key, uid: runtime.uid)
    }

    func update(_ runtime: PodRuntime, _ mutate: (inout JSONValue) -> Void) {
        store.updatePod(runtime.key, uid: runtime.uid) { pod in
            mutate(&pod)
            PodStatus.ordered(&pod)
        }
    }

    private func lifecycle(_ runtime: PodRuntime, logger: Logger) async throws {
        guard let pod = store.pod(runtime.key) else { return }
        let plan = PodPlan(pod, defaultRunTime: configuration.defaultRunTime)

        // The scheduler.
        if try await sleep(for: configuration.scheduleDelay, orUntilDeletionOf: runtime) != nil {
            store.remove(runtime.key, uid: runtime.uid)
            return
        }
        if plan.unschedulable {
            update(runtime) { PodStatus.markUnschedulable(&$0, now: .now()) }
            recordFailedScheduling(runtime)
            logger.debug("Pod is unschedulable")
            return try await removeWhenDeleted(runtime)
        }
        update(runtime) { PodStatus.markScheduled(&$0, now: .now()) }
        recordScheduled(runtime)

        // The kubelet takes the Pod: sandbox, then containers.
        update(runtime) { PodStatus.markCreating(&$0, containerNames: runtime.containerNames, now: .now()) }
        if plan.imagePullError {
            recordPulling(runtime)
            update(runtime) { PodStatus.markImagePullFailing(&$0, backOff: false) }
            recordImagePullFailure(runtime, backOff: false)
            if try await sleep(for: configuration.startDelay, orUntilDeletionOf: runtime) == nil {
                update(runtime) { PodStatus.markImagePullFailing(&$0, backOff: true) }
                recordImagePullFailure(runtime, backOff: true)
                try await retryUntilDeleted(runtime) {
                    recordPulling(runtime)
                    recordImagePullFailure(runtime, backOff: false)
                    recordImagePullFailure(runtime, backOff: true)
                }
            }
            store.remove(runtime.key, uid: runtime.uid)
            return
        }
        let startDelay = plan.startTime ?? configuration.startDelay
        if let message = plan.configError {
            if try await sleep(for: startDelay, orUntilDeletionOf: runtime) == nil {
                update(runtime) { PodStatus.markConfigError(&$0, message: message) }
                recordConfigError(runtime, message: message)
                try await retryUntilDeleted(runtime) { recordConfigError(runtime, message: message) }
            }
            store.remove(runtime.key, uid: runtime.uid)
            return
        }
        recordPulling(runtime)
        let pullStart = ContinuousClock.now
        if try await sleep(for: startDelay, orUntilDeletionOf: runtime) != nil {
            store.remove(runtime.key, uid: runtime.uid)
            return
        }
        recordStarted(runtime, pullTime: .now - pullStart)

        // Running.
        let startedAt = Timestamp.now()
        let podIP = "10.244.0.\(Int.random(in: 2...254))"
        var containerIDs: [String: String] = [:]
        for name in runtime.containerNames { containerIDs[name] = "containerd://" + Self.randomHex(64) }
        update(runtime) { PodStatus.markRunning(&$0, podIP: podIP, containerIDs: containerIDs, now: startedAt) }
        logger.debug("Pod is running")

        let outcome: ContainerOutcome
        switch configuration.mode {
        case .scripted: outcome = try await runScripted(runtime, plan: plan, startedAt: startedAt)
        case .exec: outcome = try await runExec(runtime, pod: pod, plan: plan, startedAt: startedAt, logger: logger)
        }
        runtime.finishLogs()
        if let message = outcome.evictionMessage {
            record(runtime, .warning, "Evicted", message)
            recordKilling(runtime)
        }
        if outcome.reason == "ContainerCannotRun", let message = outcome.message {
            record(runtime, .warning, "Failed", "Error: \(message)", container: runtime.mainContainer)
        }
        update(runtime) {
            PodStatus.markTerminated(
                &$0, outcome: outcome, mainContainer: runtime.mainContainer, containerIDs: containerIDs)
        }
        logger.debug("Pod has terminated", metadata: ["pod.exit_code": "\(outcome.exitCode)"])
        try await removeWhenDeleted(runtime)
    }

    /// `count` random lowercase hex digits (a container ID), 16 at a time from one random number.
    static func randomHex(_ count: Int) -> String {
        var text = ""
        text.reserveCapacity(count + 16)
        while text.utf8.count < count {
            let digits = String(UInt64.random(in: .min ... .max), radix: 16)
            text += String(repeating: "0", count: 16 - digits.utf8.count) + digits
        }
        return String(text.prefix(count))
    }
}
