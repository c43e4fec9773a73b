/// Serializes the writes to one task's log: the log follower's appends and the final capture never interleave,
/// so a follower cannot overwrite or extend a log after the task's final state is recorded.
actor TaskLogGate {
    private var held: Set<Int64> = []
    private var waiters: [Int64: [CheckedContinuation<Void, Never>]] = [:]

    /// Runs `body` while holding task `id`'s log.
    func withTask<T: Sendable>(_ id: Int64, _ body: @Sendable () async throws -> T) async rethrows -> T {
        await acquire(id)
        defer { release(id) }
        return try await body()
    }

    private func acquire(_ id: Int64) async {
        if held.insert(id).inserted { return }
        await withCheckedContinuation { waiters[id, default: []].append($0) }
    }

    private func release(_ id: Int64) {
        if var queue = waiters[id], !queue.isEmpty {
            let next = queue.removeFirst()
            waiters[id] = queue.isEmpty ? nil : queue
            next.resume()  // ownership passes to the next waiter
        } else {
            held.remove(id)
        }
    }
}
