import Synchronization
import Testing
@testable import TaskStore

@Suite("Transition observers")
struct TransitionObserversTests {
    @Test("a notify costs the same after 200,000 notifies as the first: the observer is not rewrapped per call")
    func notifyStaysCheap() {
        let observers = TransitionObservers()
        let count = Atomic<Int>(0)
        observers.set { _ in count.add(1, ordering: .relaxed) }
        let transition = TaskTransition(id: 1, from: .running, to: .success, reason: nil)
        let clock = ContinuousClock()
        let took = clock.measure {
            for _ in 0..<200_000 { observers.notify(transition) }
        }
        #expect(count.load(ordering: .relaxed) == 200_000)
        // A closure wrapped in two more thunks per notify makes this quadratic: minutes, not milliseconds.
        #expect(took < .seconds(5), "200,000 notifies took \(took)")
    }
}
