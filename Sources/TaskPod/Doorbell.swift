import Synchronization

/// Wakes a waiting loop when something happened, instead of the loop polling on a timer.
///
/// `ring()` wakes every current waiter, or the next one when nobody waits (a ring is never lost, and rings that
/// come while nobody waits fold into one). `close()` wakes every waiter for good: from then on `wait()` returns at
/// once. Every wait also returns when its task is cancelled, so a loop built on it ends with its task.
///
/// ```swift
/// while !bell.isClosed {
///     await work()
///     await bell.wait(upTo: .seconds(1))   // woken early by bell.ring()
/// }
/// ```
final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var closed = false
        var nextWaiter = 0
        /// Waiters leave when they are resumed: by a ring, the close, or their task's cancellation.
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    init() {}

    /// True once ``close()`` was called.
    var isClosed: Bool { state.withLock { $0.closed } }

    /// Wakes the waiters, or the next waiter when nobody waits.
    func ring() {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.waiters.isEmpty else {
                state.rung = true
                return []
            }
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in woken { waiter.resume() }
    }

    /// Wakes every waiter now and every later wait at once. Idempotent.
    func close() {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.closed = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in woken { waiter.resume() }
    }

    /// Returns after a ring (consuming it), the close, or the cancellation of the calling task.
    func wait() async {
        let id = state.withLock { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.closed || Task.isCancelled { return true }
                    if state.rung {
                        state.rung = false
                        return true
                    }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// Like ``wait()``, and returns after `limit` at the latest.
    func wait(upTo limit: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.wait() }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
    }
}
