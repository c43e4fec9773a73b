import JSON
import Synchronization

/// The faults in force and their clocks: when a 429 storm ends, whether a downtime is waiting to begin. Wakes
/// the loops that act on changes (dropping watches, downtime).
final class FaultInjector: Sendable {
    /// What to do with one API request before serving it.
    enum Decision: Sendable, Equatable {
        case serve
        case fail(code: Int, retryAfter: Int?)
    }

    private struct State {
        var faults: KubeSimFaults
        var throttleUntil: ContinuousClock.Instant?
        var pendingDowntime: Duration?
        var generation = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiterID = 0

        mutating func changed() -> [CheckedContinuation<Void, Never>] {
            generation += 1
            defer { waiters.removeAll() }
            return Array(waiters.values)
        }
    }

    private let state: Mutex<State>

    init(_ faults: KubeSimFaults) {
        state = Mutex(State(faults: KubeSimFaults()))
        set(faults)
    }

    var faults: KubeSimFaults { state.withLock { $0.faults } }

    /// Replaces the faults; a throttle or downtime in them starts now unless told it is unchanged.
    func set(
        _ faults: KubeSimFaults, restartThrottle: Bool = true, startDowntime: Bool = true,
        now: ContinuousClock.Instant = .now
    ) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.faults = faults
            if restartThrottle || faults.throttle == nil {
                state.throttleUntil = faults.throttle.map { now + KubeSimFaults.duration(seconds: $0.seconds) }
            }
            if startDowntime { state.pendingDowntime = faults.downtime }
            return state.changed()
        }
        waiters.forEach { $0.resume() }
    }

    /// The faults as JSON, with how long the storm still lasts.
    func json(now: ContinuousClock.Instant = .now) -> JSONValue {
        state.withLock { state in
            var json = state.faults.json
            if let until = state.throttleUntil {
                json["throttleRemainingSeconds"] = .double(max(0, KubeSimFaults.seconds(until - now)))
            }
            return json
        }
    }

    /// How long to delay a request: the latency plus a random share of the jitter.
    var delay: Duration {
        let (latency, jitter) = state.withLock { ($0.faults.latency, $0.faults.jitter) }
        guard jitter > .zero else { return latency }
        return latency + jitter * Double.random(in: 0..<1)
    }

    /// Whether to serve a request of `verb` on `resource`, or which error to answer with.
    func decide(verb: String, resource: String?, now: ContinuousClock.Instant = .now) -> Decision {
        state.withLock { state in
            if let until = state.throttleUntil {
                if now < until { return .fail(code: 429, retryAfter: state.faults.throttle?.retryAfterSeconds ?? 1) }
                // The storm is over: it no longer shows among the faults.
                state.throttleUntil = nil
                state.faults.throttle = nil
            }
            for rule in state.faults.errors
            where (rule.verb == "*" || rule.verb == verb) && (rule.resource == nil || rule.resource == resource) {
                if rule.rate > 0, Double.random(in: 0..<1) < rule.rate {
                    return .fail(code: rule.code, retryAfter: rule.code == 429 ? 1 : nil)
                }
            }
            return .serve
        }
    }

    /// A downtime asked for and not yet begun, taken: it no longer shows among the faults.
    func takeDowntime() -> Duration? {
        state.withLock { state in
            defer {
                state.pendingDowntime = nil
                state.faults.downtime = nil
            }
            return state.pendingDowntime
        }
    }

    var generation: Int { state.withLock { $0.generation } }

    /// Returns once the faults change after `generation`, or the task is cancelled.
    func waitForChange(after generation: Int) async {
        let id = state.withLock { state -> Int in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    if state.generation != generation || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// Waits for the next downtime request; `nil` when the task is cancelled first.
    func nextDowntime() async -> Duration? {
        while !Task.isCancelled {
            let generation = generation
            if let downtime = takeDowntime() { return downtime }
            await waitForChange(after: generation)
        }
        return nil
    }
}
