import Synchronization

/// Client-side pacing: a token bucket (QPS with a burst) and a bound on requests in flight.
public struct Pacing: Sendable {
    /// Requests per second, sustained.
    public var qps: Double
    /// Requests allowed at once above the sustained rate.
    public var burst: Int
    /// Short requests in flight at once (watches and followed logs are not counted: they are long-running).
    public var maxInFlight: Int

    public init(qps: Double = 50, burst: Int = 100, maxInFlight: Int = 64) {
        self.qps = qps
        self.burst = burst
        self.maxInFlight = maxInFlight
    }

    /// No client-side limit.
    public static let unlimited = Pacing(qps: .infinity, burst: .max, maxInFlight: .max)
}

/// A token bucket: `acquire()` returns at once while tokens remain and otherwise waits its turn.
/// Each caller reserves a token (the count may go below zero) and sleeps for the deficit, so waiters are
/// served in order without a queue.
actor TokenBucket {
    private let qps: Double
    private let burst: Double
    private var tokens: Double
    private var last: ContinuousClock.Instant

    init(qps: Double, burst: Int) {
        self.qps = qps
        self.burst = Double(max(1, burst))
        tokens = Double(max(1, burst))
        last = .now
    }

    func reserve() -> Duration {
        guard qps.isFinite else { return .zero }
        let now = ContinuousClock.now
        let elapsed = now - last
        last = now
        tokens = min(burst, tokens + elapsed.inSeconds * qps)
        tokens -= 1
        if tokens >= 0 { return .zero }
        return .seconds(-tokens / qps)
    }

    nonisolated func acquire() async throws {
        let wait = await reserve()
        if wait > .zero { try await Task.sleep(for: wait) }
    }
}

/// A counting semaphore for async code; waiters are served in order, and a waiter whose task is cancelled
/// leaves the queue.
///
///     let limiter = AsyncSemaphore(4)
///     let page = try await limiter.withUnit { try await client.listPods(namespace: "default") }
public actor AsyncSemaphore {
    private typealias Waiter = CheckedContinuation<Void, any Error>
    // Under a lock rather than actor isolation: the cancellation handler runs synchronously, on any thread.
    private let state: Mutex<SemaphoreState<Waiter>>

    public init(_ count: Int) {
        state = Mutex(SemaphoreState(available: count))
    }

    /// Takes a unit, waiting in line for one when none is free.
    ///
    /// - Throws: `CancellationError` when the task is cancelled before it got a unit (it then holds none).
    public nonisolated func acquire() async throws {
        let id = state.withLock { $0.makeID() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (waiter: Waiter) in
                // Checked under the lock: a cancellation after this point finds the waiter queued.
                let ready = state.withLock { state -> Bool? in
                    if Task.isCancelled { return nil }
                    return state.acquire(id: id, waiter)
                }
                switch ready {
                case nil: waiter.resume(throwing: CancellationError())
                case true?: waiter.resume()
                case false?: break
                }
            }
        } onCancel: {
            state.withLock { $0.cancel(id: id) }?.resume(throwing: CancellationError())
        }
    }

    /// Gives a unit back: to the first waiter, or to the pool.
    public func release() {
        releaseUnit()
    }

    private nonisolated func releaseUnit() {
        state.withLock { $0.release() }?.resume()
    }

    /// Runs `body` holding one unit.
    ///
    /// - Throws: `CancellationError` when cancelled while waiting for the unit; whatever `body` throws.
    public nonisolated func withUnit<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await acquire()
        defer { releaseUnit() }
        return try await body()
    }

    /// Units free right now (for tests).
    nonisolated var available: Int { state.withLock { $0.available } }

    /// Tasks waiting for a unit right now (for tests).
    nonisolated var waitingCount: Int { state.withLock { $0.waiting } }
}

/// The units and the queue of an ``AsyncSemaphore`` as a value; each event returns the waiter to resume,
/// which the caller resumes outside the lock.
struct SemaphoreState<Waiter> {
    private(set) var available: Int
    private var waiters: [(id: UInt64, waiter: Waiter)] = []
    private var lastID: UInt64 = 0

    init(available: Int) {
        self.available = available
    }

    var waiting: Int { waiters.count }

    mutating func makeID() -> UInt64 {
        lastID += 1
        return lastID
    }

    /// True when a unit was free and is now the caller's; false when `waiter` is queued.
    mutating func acquire(id: UInt64, _ waiter: Waiter) -> Bool {
        if available > 0, waiters.isEmpty {
            available -= 1
            return true
        }
        waiters.append((id, waiter))
        return false
    }

    /// The waiter that gets the unit, or nil when it went back to the pool.
    mutating func release() -> Waiter? {
        guard !waiters.isEmpty else {
            available += 1
            return nil
        }
        return waiters.removeFirst().waiter
    }

    /// The waiter to fail, or nil when it is not queued (it got its unit already, or never waited).
    mutating func cancel(id: UInt64) -> Waiter? {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return waiters.remove(at: index).waiter
    }
}

extension Duration {
    /// The duration in seconds.
    public var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
