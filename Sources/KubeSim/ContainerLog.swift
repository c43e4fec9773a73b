import Synchronization

/// One container's log: timestamped lines kept in memory (bounded), readable while it grows.
///
/// Readers pull from an absolute line index and wait for more, so a slow `follow` reader costs nothing.
final class ContainerLog: Sendable {
    struct Line: Sendable {
        var time: Timestamp
        var text: String
    }

    private struct State {
        var lines: [Line] = []
        /// How many lines were dropped from the front to stay within the limit.
        var dropped = 0
        var isFinished = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiterID = 0

        mutating func takeWaiters() -> [CheckedContinuation<Void, Never>] {
            defer { waiters.removeAll() }
            return Array(waiters.values)
        }
    }

    private let state = Mutex(State())
    private let lineLimit: Int

    init(lineLimit: Int) {
        self.lineLimit = lineLimit
    }

    /// Adds a line (without its newline) and wakes followers.
    func append(_ text: String, at time: Timestamp = .now()) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.isFinished else { return [] }
            state.lines.append(Line(time: time, text: text))
            if state.lines.count > lineLimit {
                let excess = state.lines.count - lineLimit
                state.lines.removeFirst(excess)
                state.dropped += excess
            }
            return state.takeWaiters()
        }
        waiters.forEach { $0.resume() }
    }

    /// Marks the log complete: the container has stopped (or the server is shutting down).
    func finish() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.isFinished = true
            return state.takeWaiters()
        }
        waiters.forEach { $0.resume() }
    }

    var isFinished: Bool { state.withLock { $0.isFinished } }

    /// The lines from absolute index `start` on, the index after them, and whether the log is complete.
    func read(from start: Int) -> (lines: ArraySlice<Line>, next: Int, isFinished: Bool) {
        state.withLock { state in
            let first = max(start, state.dropped)
            let offset = first - state.dropped
            let lines = offset < state.lines.count ? state.lines[offset...] : []
            return (lines, state.dropped + state.lines.count, state.isFinished)
        }
    }

    /// Returns once there are lines past absolute index `count`, the log is finished, or the task is cancelled.
    func waitForLines(after count: Int) async {
        let id = state.withLock { state -> Int in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    if state.isFinished || state.dropped + state.lines.count > count || Task.isCancelled {
                        return true
                    }
                    state.waiters[id] = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
