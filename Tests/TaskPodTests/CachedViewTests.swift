import KubeClient
import TaskPod
import Testing

/// What the controller's informer keeps of each Pod (its transform): enough for the lifecycle, nothing else.
@Suite("The controller's cached view of a Pod")
struct CachedViewTests {
    @Test("the controller's cached view keeps what the lifecycle reads and drops the rest")
    func cachedView() {
        var pod = Pod(metadata: ObjectMeta(
            name: "p", namespace: "ns",
            labels: ["airflow_executor_done": "True", "dag_id": "d"],
            annotations: ["taskpod.io/task-id": "7", "dag_id": "d", "taskpod.io/log-containers": "base"]))
        pod.metadata.uid = "u"
        pod.metadata.resourceVersion = "12"
        var spec = PodSpec(containers: [Container(name: "base", image: "busybox", command: ["sh", "-c", "echo hi"])])
        spec.nodeName = "node-1"
        pod.spec = spec
        var status = PodStatus(phase: .failed)
        status.podIP = "10.0.0.1"
        status.conditions = [PodCondition(type: "Ready", status: "False"),
                             PodCondition(type: "PodScheduled", status: "False", reason: "Unschedulable", message: "no node")]
        status.containerStatuses = [ContainerStatus(name: "base", state: ContainerState(
            terminated: ContainerStateTerminated(exitCode: 3, reason: "Error")))]
        status.containerStatuses?[0].image = "busybox"
        pod.status = status

        let kept = Controller.cachedView(pod)
        #expect(kept.metadata.labels == ["airflow_executor_done": "True"])
        #expect(kept.metadata.annotations == ["taskpod.io/task-id": "7", "taskpod.io/log-containers": "base"])
        #expect(kept.metadata.uid == "u" && kept.metadata.resourceVersion == "12")
        #expect(kept.spec?.containers == [Container(name: "base")])
        #expect(kept.spec?.nodeName == "node-1")
        #expect(kept.status?.podIP == nil)
        #expect(kept.status?.conditions?.map(\.type) == ["PodScheduled"])
        #expect(kept.status?.containerStatuses?.first?.image == nil)
        #expect(TaskLifecycle.failureReason(kept) == TaskLifecycle.failureReason(pod))
        #expect(Controller.logContainers(of: kept, configured: []) == Controller.logContainers(of: pod, configured: []))
    }
}
