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

/// A counting semaphore for async code; waiters are served in order.
public actor AsyncSemaphore {
    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init(_ count: Int) {
        available = count
    }

    public func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    public func release() {
        if waiters.isEmpty {
            available += 1
        } else {
            waiters.removeFirst().resume()
        }
    }

    /// Runs `body` holding one unit.
    public func withUnit<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        await acquire()
        do {
            let value = try await body()
            release()
            return value
        } catch {
            release()
            throw error
        }
    }
}

extension Duration {
    /// The duration in seconds.
    public var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
