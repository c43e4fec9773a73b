import Synchronization

/// The controller's loops' ``LoopLiveness``, shared between the loops that mark it and the probe that reads it.
public final class LivenessRegistry: Sendable {
    private let state = Mutex(LoopLiveness())
    private let clock: @Sendable () -> ContinuousClock.Instant

    /// - Parameter clock: the time now; a test passes its own.
    public init(clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.clock = clock
    }

    /// Makes loop `name` known, idle, with the longest it may stay busy in one step.
    public func register(_ name: String, threshold: Duration) {
        state.withLock { $0.register(name, threshold: threshold) }
    }

    /// Loop `name` began a step, or moved within one.
    public func busy(_ name: String) {
        let now = clock()
        state.withLock { $0.busy(name, at: now) }
    }

    /// Loop `name` waits for work or a timer.
    public func idle(_ name: String) {
        state.withLock { $0.idle(name) }
    }

    /// Runs one step of loop `name`: busy while `body` runs, idle after.
    func step<T>(_ name: String, _ body: () async throws -> T) async rethrows -> T {
        busy(name)
        defer { idle(name) }
        return try await body()
    }

    /// Every loop idle: the controller stopped (a lost Lease), and a standby is not stuck.
    func allIdle() {
        state.withLock { liveness in
            for name in liveness.loops.keys { liveness.idle(name) }
        }
    }

    /// Healthy when no loop is stuck; the detail says which are.
    public func health() -> (ok: Bool, detail: String) {
        let now = clock()
        return state.withLock { $0.health(at: now) }
    }
}
