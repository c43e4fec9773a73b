import Synchronization

/// A deduplicating work queue, as client-go's: a key added while queued is not added twice; a key added while being
/// processed is processed again after `done`. Its entries leave when they are handed out (`queued`) or marked done
/// (`processing`, `dirty`), so its size is bounded by the number of distinct keys waiting at once.
///
/// ``shutdown()`` ends it without draining: waiting and later calls of ``next()`` return nil, and keys still queued
/// are dropped (their work is level-triggered and redone by the next controller). A waiting ``next()`` also returns
/// nil when its task is cancelled.
final class WorkQueue<Key: Hashable & Sendable>: Sendable {
    private struct State {
        var order: [Key] = []
        var head = 0
        var queued: Set<Key> = []
        var processing: Set<Key> = []
        var dirty: Set<Key> = []
        var nextWaiter = 0
        var waiters: [Int: CheckedContinuation<Key?, Never>] = [:]
        var waiterOrder: [Int] = []
        var shutDown = false

        /// Hands `key` to the longest waiting waiter, if any.
        mutating func popWaiter() -> CheckedContinuation<Key?, Never>? {
            while !waiterOrder.isEmpty {
                let id = waiterOrder.removeFirst()
                if let waiter = waiters.removeValue(forKey: id) { return waiter }
            }
            return nil
        }

        mutating func add(_ key: Key) -> (CheckedContinuation<Key?, Never>, Key)? {
            guard !shutDown else { return nil }
            if processing.contains(key) {
                dirty.insert(key)
                return nil
            }
            guard !queued.contains(key) else { return nil }
            if let waiter = popWaiter() {
                processing.insert(key)
                return (waiter, key)
            }
            queued.insert(key)
            order.append(key)
            return nil
        }

        mutating func take() -> Key? {
            guard head < order.count else { return nil }
            let key = order[head]
            head += 1
            if head > 1024, head * 2 > order.count {
                order.removeFirst(head)
                head = 0
            }
            queued.remove(key)
            processing.insert(key)
            return key
        }
    }

    private let state = Mutex(State())

    init() {}

    func add(_ key: Key) {
        if let (waiter, key) = state.withLock({ $0.add(key) }) { waiter.resume(returning: key) }
    }

    /// The next key, waiting for one; nil once the queue is shut down or the calling task is cancelled.
    func next() async -> Key? {
        let id = state.withLock { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Key?, Never>) in
                let ready = state.withLock { state -> Key?? in
                    if state.shutDown || Task.isCancelled { return .some(nil) }
                    if let key = state.take() { return .some(key) }
                    state.waiters[id] = continuation
                    state.waiterOrder.append(id)
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            state.withLock { state in
                state.waiterOrder.removeAll { $0 == id }
                return state.waiters.removeValue(forKey: id)
            }?.resume(returning: nil)
        }
    }

    func done(_ key: Key) {
        let again = state.withLock { state -> (CheckedContinuation<Key?, Never>, Key)? in
            state.processing.remove(key)
            guard state.dirty.remove(key) != nil else { return nil }
            return state.add(key)
        }
        if let (waiter, key) = again { waiter.resume(returning: key) }
    }

    /// Ends the queue: waiters get nil, queued keys are dropped, and later adds are ignored. Idempotent.
    func shutdown() {
        let waiters = state.withLock { state -> [CheckedContinuation<Key?, Never>] in
            state.shutDown = true
            state.order = []
            state.head = 0
            state.queued = []
            state.dirty = []
            state.waiterOrder = []
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: nil) }
    }

    var count: Int { state.withLock { $0.order.count - $0.head } }
}
