/// A deduplicating work queue, as client-go's: a key added while queued is not added twice; a key added
/// while being processed is processed again after `done`. Its size is bounded by the number of distinct keys.
actor WorkQueue<Key: Hashable & Sendable> {
    private var order: [Key] = []
    private var head = 0
    private var queued: Set<Key> = []
    private var processing: Set<Key> = []
    private var dirty: Set<Key> = []
    private var waiters: [CheckedContinuation<Key?, Never>] = []
    private var shutDown = false

    func add(_ key: Key) {
        guard !shutDown else { return }
        if processing.contains(key) {
            dirty.insert(key)
            return
        }
        guard queued.insert(key).inserted else { return }
        if !waiters.isEmpty {
            queued.remove(key)
            processing.insert(key)
            waiters.removeFirst().resume(returning: key)
        } else {
            order.append(key)
        }
    }

    /// The next key, waiting for one; nil once the queue is shut down.
    func next() async -> Key? {
        if head < order.count {
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
        if shutDown { return nil }
        return await withCheckedContinuation { waiters.append($0) }
    }

    func done(_ key: Key) {
        processing.remove(key)
        if dirty.remove(key) != nil { add(key) }
    }

    func shutdown() {
        shutDown = true
        for waiter in waiters { waiter.resume(returning: nil) }
        waiters = []
    }

    var count: Int { order.count - head }
}
