extension Kubelet {
    /// The exit code of a container stopped by SIGTERM.
    static let terminatedBySignalExitCode: Int32 = 143

    static let evictionMessage = "The node was low on resource: memory. Threshold quantity: 100Mi, available: 92Mi. "

    /// A scripted container: writes the annotated log lines spread over its run time, then exits as annotated.
    /// Deletion stops it at once (SIGTERM, 143); eviction at its time (137).
    func runScripted(_ runtime: PodRuntime, plan: PodPlan, startedAt: Timestamp) async throws -> ContainerOutcome {
        let start = ContinuousClock.now
        var end = plan.runTime
        var evicted = false
        if let evictAfter = plan.evictAfter, evictAfter < end {
            end = evictAfter
            evicted = true
        }
        func stoppedByDeletion() -> ContainerOutcome {
            recordKilling(runtime)
            return ContainerOutcome(
                exitCode: Self.terminatedBySignalExitCode, reason: "Error", message: nil, startedAt: startedAt,
                finishedAt: .now(), evictionMessage: nil)
        }
        for (index, line) in plan.logLines.enumerated() {
            let offset = plan.runTime * (Double(index) / Double(plan.logLines.count))
            if offset > end { break }
            if try await sleep(until: start + offset, orUntilDeletionOf: runtime) != nil {
                return stoppedByDeletion()
            }
            runtime.mainLog?.append(line)
        }
        if try await sleep(until: start + end, orUntilDeletionOf: runtime) != nil {
            return stoppedByDeletion()
        }
        if evicted {
            return ContainerOutcome(
                exitCode: 137, reason: "Error", message: nil, startedAt: startedAt, finishedAt: .now(),
                evictionMessage: Self.evictionMessage)
        }
        if plan.oomKilled {
            return ContainerOutcome(
                exitCode: 137, reason: "OOMKilled", message: nil, startedAt: startedAt, finishedAt: .now(),
                evictionMessage: nil)
        }
        return .exited(plan.exitCode, startedAt: startedAt)
    }
}
