import Synchronization
import TaskPod
import Testing

@Suite("Loop liveness as a plain value")
struct LoopLivenessTests {
    let start = ContinuousClock.now

    @Test("a loop busy in one step past its threshold is stuck; progress and idleness are not")
    func stuckLoop() {
        var liveness = LoopLiveness()
        liveness.register("worker-0", threshold: .seconds(120))
        liveness.register("resync", threshold: .seconds(120))
        #expect(liveness.health(at: start).ok)

        liveness.busy("worker-0", at: start)
        liveness.busy("resync", at: start)
        liveness.idle("resync")
        #expect(liveness.health(at: start + .seconds(119)).ok)

        // Progress within the step starts its clock again.
        liveness.busy("worker-0", at: start + .seconds(100))
        #expect(liveness.health(at: start + .seconds(200)).ok)

        // No progress for longer than the threshold: stuck, and the detail says which loop.
        let health = liveness.health(at: start + .seconds(221))
        #expect(!health.ok)
        #expect(health.detail.contains("worker-0 busy in one step for 121 s (limit 120 s)"), "\(health.detail)")
        #expect(!health.detail.contains("resync"))
        #expect(liveness.stuck(at: start + .seconds(221)).map(\.name) == ["worker-0"])

        // Idle (waiting for work) is healthy however long it lasts.
        liveness.idle("worker-0")
        #expect(liveness.health(at: start + .seconds(10_000)).ok)
    }

    @Test("the registry reads an injected clock")
    func registryClock() {
        let now = Mutex(start)
        let clock: @Sendable () -> ContinuousClock.Instant = { now.withLock { $0 } }
        let registry = LivenessRegistry(clock: clock)
        registry.register("informer-0", threshold: .seconds(60))
        registry.busy("informer-0")
        now.withLock { $0 += .seconds(30) }
        registry.busy("informer-0")  // a watch event: a sign of life
        now.withLock { $0 += .seconds(59) }
        #expect(registry.health().ok)
        now.withLock { $0 += .seconds(2) }
        #expect(!registry.health().ok)
        #expect(registry.health().detail.hasPrefix("stuck: informer-0"))
    }
}

@Suite("Reason classes")
struct ReasonClassTests {
    @Test("the reasons the controller writes map to the fixed classes", arguments: [
        (nil, ReasonClass.none), ("OOMKilled", .oom), ("Error, exit code 3", .exitCode), ("Completed, exit code 1", .exitCode),
        ("ImagePullBackOff: Back-off pulling image", .imagePull), ("ErrImagePull", .imagePull),
        ("PendingTimeout: Pending for more than 300 s", .pendingTimeout),
        ("QueuedTimeout: no Pod was created within 60 s (task_queued_timeout)", .queuedTimeout), ("PodLost", .podLost),
        ("PodDeleted", .podDeleted), ("Evicted: The node was low on resource: memory.", .evicted), ("Cancelled", .cancelled),
        ("cancelled by user", .cancelled), ("InvalidPodOverride: bad quantity", .invalid), ("PodRejected: Invalid: x", .invalid),
        ("DeadlineExceeded", .other),
    ] as [(String?, ReasonClass)])
    func classes(reason: String?, expected: ReasonClass) {
        #expect(ReasonClass(reason: reason) == expected)
    }
}
