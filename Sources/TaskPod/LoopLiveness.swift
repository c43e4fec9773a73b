/// Which of the controller's long-running loops are stuck: a plain value, tested without I/O or a real clock.
///
/// A loop is *busy* while it works on a step (a reconcile, a resync pass, a batch of creates) and *idle* while it
/// waits for work or a timer; ``busy(_:at:)`` again marks progress within a long step. A loop busy in one step for
/// longer than its threshold is stuck. An idle loop never is: an empty work queue is health, not a hang. A loop that
/// should move all the time (an informer) is only ever busy, and marks progress at each sign of life.
///
/// Where entries leave: there is one per loop name, and the names are fixed (a worker's index, an informer's).
public struct LoopLiveness: Sendable {
    public typealias Instant = ContinuousClock.Instant

    struct Loop: Sendable {
        var threshold: Duration
        /// Since when it works on its current step; nil while idle.
        var busySince: Instant?
    }

    private(set) var loops: [String: Loop] = [:]

    public init() {}

    /// Makes `name` known, idle, with its threshold; keeps its state when known already.
    public mutating func register(_ name: String, threshold: Duration) {
        loops[name, default: Loop(threshold: threshold)].threshold = threshold
    }

    /// `name` began a step, or moved within one: its step clock starts again.
    public mutating func busy(_ name: String, at now: Instant) {
        loops[name, default: Loop(threshold: LoopLiveness.defaultThreshold)].busySince = now
    }

    /// `name` waits for work or a timer.
    public mutating func idle(_ name: String) {
        loops[name]?.busySince = nil
    }

    /// The loops busy in one step for longer than their threshold, by name, with how long.
    public func stuck(at now: Instant) -> [(name: String, busyFor: Duration, threshold: Duration)] {
        loops.compactMap { name, loop in
            guard let since = loop.busySince, now - since > loop.threshold else { return nil }
            return (name, now - since, loop.threshold)
        }.sorted { $0.name < $1.name }
    }

    /// Healthy when no loop is stuck; the detail names the stuck loops, or how many loops are watched.
    public func health(at now: Instant) -> (ok: Bool, detail: String) {
        let stuck = stuck(at: now)
        guard stuck.isEmpty else {
            let names = stuck.map { "\($0.name) busy in one step for \($0.busyFor.components.seconds) s (limit \($0.threshold.components.seconds) s)" }
            return (false, "stuck: " + names.joined(separator: "; "))
        }
        let busy = loops.values.filter { $0.busySince != nil }.count
        return (true, "ok: \(loops.count) loops, \(busy) busy, none stuck")
    }

    /// The threshold of a loop marked busy before it was registered.
    public static let defaultThreshold: Duration = .seconds(120)
}
