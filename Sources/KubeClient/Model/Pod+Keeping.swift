extension Pod {
    /// The Pod with only what a controller acting on its phase reads: an informer's transform
    /// (``PodInformer/Configuration/transform``), so that a cache of many Pods does not hold their commands, images,
    /// IPs and the labels and annotations nobody reads.
    ///
    /// Kept: name, namespace, uid, resourceVersion, creationTimestamp, deletionTimestamp, the labels and annotations
    /// named; the node and each container's name; the phase, reason, message and start time; the `PodScheduled`
    /// condition when it is False (why a Pod is Pending); each container status's name and state (waiting reason and
    /// message, terminated exit code, reason, message and times).
    ///
    /// ```swift
    /// configuration.transform = { $0.keeping(labels: ["airflow_executor_done"], annotations: ["taskpod.io/task-id"]) }
    /// ```
    public func keeping(labels: Set<String>, annotations: Set<String>) -> Pod {
        var meta = ObjectMeta(name: metadata.name, namespace: metadata.namespace)
        meta.uid = metadata.uid
        meta.resourceVersion = metadata.resourceVersion
        meta.creationTimestamp = metadata.creationTimestamp
        meta.deletionTimestamp = metadata.deletionTimestamp
        meta.deletionGracePeriodSeconds = metadata.deletionGracePeriodSeconds
        meta.labels = metadata.labels.flatMap { Pod.keeping($0, only: labels) }
        meta.annotations = metadata.annotations.flatMap { Pod.keeping($0, only: annotations) }
        var kept = Pod(metadata: meta)
        kept.apiVersion = nil
        kept.kind = nil
        if let spec {
            var keptSpec = PodSpec(containers: spec.containers?.map { Container(name: $0.name) })
            keptSpec.initContainers = spec.initContainers?.map { Container(name: $0.name) }
            keptSpec.nodeName = spec.nodeName
            kept.spec = keptSpec
        }
        if let status {
            var keptStatus = PodStatus(phase: status.phase)
            keptStatus.reason = status.reason
            keptStatus.message = status.message
            keptStatus.startTime = status.startTime
            let unscheduled = status.conditions?.filter { $0.type == "PodScheduled" && $0.status == "False" }
                .map { PodCondition(type: $0.type, status: $0.status, reason: $0.reason, message: $0.message) }
            keptStatus.conditions = unscheduled?.isEmpty == false ? unscheduled : nil
            keptStatus.containerStatuses = status.containerStatuses?.map(Pod.keeping)
            keptStatus.initContainerStatuses = status.initContainerStatuses?.map(Pod.keeping)
            kept.status = keptStatus
        }
        return kept
    }

    private static func keeping(_ values: [String: String], only keys: Set<String>) -> [String: String]? {
        var kept: [String: String] = [:]
        for key in keys {
            if let value = values[key] { kept[key] = value }
        }
        return kept.isEmpty ? nil : kept
    }

    private static func keeping(_ status: ContainerStatus) -> ContainerStatus {
        ContainerStatus(name: status.name, state: status.state.map { state in
            ContainerState(
                waiting: state.waiting,
                running: state.running.map { _ in ContainerStateRunning() },
                terminated: state.terminated)
        })
    }
}
