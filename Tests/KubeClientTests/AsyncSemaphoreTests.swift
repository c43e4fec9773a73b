@testable import KubeClient
import Testing

@Suite("AsyncSemaphore")
struct AsyncSemaphoreTests {
    /// Waits until `condition` holds (the waiters are other tasks), for at most about ten seconds.
    func eventually(_ condition: () -> Bool) async throws {
        for _ in 0..<10_000 where !condition() { try await Task.sleep(for: .milliseconds(1)) }
        #expect(condition())
    }

    @Test("the queue as a value: in order, a cancelled waiter leaves, a resumed one keeps its unit")
    func stateMachine() {
        var state = SemaphoreState<String>(available: 1)
        let a = state.makeID(), b = state.makeID(), c = state.makeID()
        let aNow = state.acquire(id: a, "a"), bNow = state.acquire(id: b, "b"), cNow = state.acquire(id: c, "c")
        #expect(aNow && !bNow && !cNow)
        let cancelledB = state.cancel(id: b)
        #expect(cancelledB == "b")
        let resumed = state.release()
        #expect(resumed == "c", "the cancelled waiter is skipped")
        let cancelledC = state.cancel(id: c)
        #expect(cancelledC == nil, "cancelled after it was resumed: it keeps the unit")
        let pooled = state.release()
        #expect(pooled == nil)
        #expect(state.available == 1)
    }

    @Test("a cancelled waiter throws CancellationError and never takes a unit later")
    func cancelledWaiter() async throws {
        let semaphore = AsyncSemaphore(1)
        try await semaphore.acquire()
        let waiter = Task { try await semaphore.acquire() }
        try await eventually { semaphore.waitingCount == 1 }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(semaphore.waitingCount == 0)
        await semaphore.release()
        #expect(semaphore.available == 1, "the unit went back to the pool, not to the cancelled waiter")
        try await semaphore.withUnit { #expect(semaphore.available == 0) }
        #expect(semaphore.available == 1)
    }

    @Test("a task cancelled before or while it waits: withUnit throws and does not run its body")
    func alreadyCancelled() async throws {
        let semaphore = AsyncSemaphore(0)
        let task = Task { try await semaphore.withUnit { true } }
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
        #expect(semaphore.waitingCount == 0)
    }

    @Test("no unit is lost when waiters are cancelled as they are resumed", arguments: 0..<20)
    func cancelRacesRelease(round: Int) async throws {
        let units = 4
        let semaphore = AsyncSemaphore(units)
        for _ in 0..<units { try await semaphore.acquire() }
        let waiters = (0..<32).map { _ in
            Task { () -> Bool in
                do {
                    try await semaphore.acquire()
                    return true
                } catch {
                    return false
                }
            }
        }
        try await eventually { semaphore.waitingCount == waiters.count }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for _ in 0..<units { await semaphore.release() } }
            group.addTask { for waiter in waiters { waiter.cancel() } }
        }
        var holders = 0
        for waiter in waiters where await waiter.value { holders += 1 }
        #expect(holders <= units)
        for _ in 0..<holders { await semaphore.release() }
        #expect(semaphore.available == units, "round \(round): \(holders) held a unit")
        #expect(semaphore.waitingCount == 0)
    }
}
