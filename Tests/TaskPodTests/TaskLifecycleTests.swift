import KubeClient
import TaskPod
import TaskStore
import Testing

@Suite("Task lifecycle state machine")
struct TaskLifecycleTests {
    static func pod(_ phase: PodPhase, reason: String? = nil, message: String? = nil, base: ContainerState? = nil) -> Pod {
        var status = PodStatus(phase: phase)
        status.reason = reason
        status.message = message
        if let base { status.containerStatuses = [ContainerStatus(name: "base", state: base)] }
        var pod = Pod(metadata: ObjectMeta(name: "p", namespace: "d"), spec: PodSpec(containers: [Container(name: "base")]), status: status)
        pod.spec?.nodeName = "node-1"
        return pod
    }

    @Test("phases drive states: Pending → launched, Running → running, Succeeded → success")
    func happyPath() {
        var lifecycle = TaskLifecycle(state: .queued)
        #expect(lifecycle.podObserved(Self.pod(.pending)) == .none)
        #expect(lifecycle.state == .launched)
        #expect(lifecycle.podObserved(Self.pod(.running)) == .markRunning(node: "node-1"))
        #expect(lifecycle.podObserved(Self.pod(.running)) == .none, "no repeat")
        #expect(lifecycle.podObserved(Self.pod(.succeeded)) == .finish(.success, reason: nil))
        #expect(lifecycle.podObserved(Self.pod(.failed)) == .none, "final states are final")
    }

    @Test("failure reasons a person can act on", arguments: [
        (pod(.failed, base: ContainerState(terminated: ContainerStateTerminated(exitCode: 3, reason: "Error"))), "Error, exit code 3"),
        (pod(.failed, base: ContainerState(terminated: ContainerStateTerminated(exitCode: 137, reason: "OOMKilled"))), "OOMKilled"),
        (pod(.failed, reason: "Evicted", message: "The node was low on resource: memory."), "Evicted: The node was low on resource: memory."),
        (pod(.failed, reason: "DeadlineExceeded"), "DeadlineExceeded"),
    ])
    func failures(pod: Pod, reason: String) {
        var lifecycle = TaskLifecycle(state: .running)
        #expect(lifecycle.podObserved(pod) == .finish(.failed, reason: reason))
    }

    @Test("fatal waiting reasons fail a Pending Pod; image pulls after the grace")
    func waiting() {
        var lifecycle = TaskLifecycle(state: .launched, imagePullGrace: .seconds(60))
        let config = Self.pod(.pending, base: ContainerState(waiting: ContainerStateWaiting(reason: "CreateContainerConfigError", message: "secret \"x\" not found")))
        #expect(lifecycle.podObserved(config) == .finish(.failed, reason: "CreateContainerConfigError: secret \"x\" not found"))

        var pulling = TaskLifecycle(state: .launched, imagePullGrace: .seconds(60))
        let backoff = Self.pod(.pending, base: ContainerState(waiting: ContainerStateWaiting(reason: "ImagePullBackOff", message: "Back-off pulling image")))
        #expect(pulling.podObserved(backoff, launchedFor: .seconds(10)) == .none)
        #expect(pulling.podObserved(backoff, launchedFor: .seconds(61)) == .finish(.failed, reason: "ImagePullBackOff: Back-off pulling image"))
    }

    @Test("a Pod deleted under a live task fails it; cancel ends it cancelled")
    func goneAndCancel() {
        var running = TaskLifecycle(state: .running)
        #expect(running.podGone(deletedWhileRunning: true) == .fail(reason: "PodDeleted"))
        var launched = TaskLifecycle(state: .launched)
        #expect(launched.podGone(deletedWhileRunning: false) == .fail(reason: "PodLost"))
        var cancelled = TaskLifecycle(state: .running)
        #expect(cancelled.cancelRequested() == .cancel)
        var done = TaskLifecycle(state: .success)
        #expect(done.cancelRequested() == .none)
    }

    @Test("a Pod Pending past the pending timeout is abandoned with the scheduler's reason")
    func pendingTimeout() {
        var lifecycle = TaskLifecycle(state: .launched, pendingTimeout: .seconds(300))
        var pod = Self.pod(.pending)
        pod.status?.conditions = [PodCondition(type: "PodScheduled", status: "False", reason: "Unschedulable",
                                               message: "0/3 nodes are available: 3 Insufficient cpu.")]
        #expect(lifecycle.podObserved(pod, launchedFor: .seconds(299)) == .none)
        #expect(lifecycle.podObserved(pod, launchedFor: .seconds(301))
            == .abandon(reason: "PendingTimeout: Pending for more than 300 s: Unschedulable: 0/3 nodes are available: 3 Insufficient cpu."))
        var running = TaskLifecycle(state: .running, pendingTimeout: .seconds(1))
        #expect(running.podObserved(Self.pod(.running), launchedFor: .seconds(100)) == .none, "only Pending Pods time out")
    }
}
