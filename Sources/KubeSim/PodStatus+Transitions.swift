import JSON

/// The Pod changes of each step of the simulated scheduler and kubelet.
extension PodStatus {
    static func markUnschedulable(_ pod: inout JSONValue, now: Timestamp) {
        setCondition(
            &pod, "PodScheduled", false, reason: "Unschedulable",
            message: Kubelet.unschedulableMessage, now: now)
    }

    /// The scheduler's binding: the node, and `PodScheduled`.
    static func markScheduled(_ pod: inout JSONValue, now: Timestamp) {
        pod[path: "spec", "nodeName"] = .string(nodeName)
        setCondition(&pod, "PodScheduled", true, now: now)
    }

    /// The kubelet has taken the Pod: start time, host IP, containers `ContainerCreating`.
    static func markCreating(_ pod: inout JSONValue, containerNames: [String], now: Timestamp) {
        let unready = "containers with unready status: [\(containerNames.joined(separator: " "))]"
        setCondition(&pod, "PodReadyToStartContainers", false, now: now)
        setCondition(&pod, "Initialized", true, now: now)
        setCondition(&pod, "Ready", false, reason: "ContainersNotReady", message: unready, now: now)
        setCondition(&pod, "ContainersReady", false, reason: "ContainersNotReady", message: unready, now: now)
        pod[path: "status", "hostIP"] = .string(hostIP)
        pod[path: "status", "hostIPs"] = [["ip": .string(hostIP)]]
        pod[path: "status", "startTime"] = .string(now.rfc3339)
        setContainerStatuses(&pod) { _ in (waiting("ContainerCreating"), false, false) }
    }

    /// Every container waits on its image: `ErrImagePull`, or `ImagePullBackOff` after the first retry.
    static func markImagePullFailing(_ pod: inout JSONValue, backOff: Bool) {
        var images: [String: String] = [:]
        for container in pod[path: "spec", "containers"]?.arrayValue ?? [] {
            images[container["name"]?.stringValue ?? ""] = container["image"]?.stringValue ?? ""
        }
        setContainerStatuses(&pod) { name in
            let image = images[name] ?? ""
            let state = backOff
                ? waiting("ImagePullBackOff", message: "Back-off pulling image \(image.quoted)")
                : waiting("ErrImagePull", message: imagePullErrorMessage(image))
            return (state, false, false)
        }
    }

    /// What containerd answers for an image that does not exist.
    static func imagePullErrorMessage(_ image: String) -> String {
        "rpc error: code = NotFound desc = failed to pull and unpack image \(image.quoted): "
            + "failed to resolve reference \(image.quoted): \(image): not found"
    }

    /// Every container waits on a missing Secret or ConfigMap: `CreateContainerConfigError`, phase Pending.
    static func markConfigError(_ pod: inout JSONValue, message: String) {
        setContainerStatuses(&pod) { _ in (waiting("CreateContainerConfigError", message: message), false, false) }
    }

    /// Phase Running, every container running and ready.
    static func markRunning(_ pod: inout JSONValue, podIP: String, containerIDs: [String: String], now: Timestamp) {
        pod[path: "status", "phase"] = "Running"
        pod[path: "status", "podIP"] = .string(podIP)
        pod[path: "status", "podIPs"] = [["ip": .string(podIP)]]
        setCondition(&pod, "PodReadyToStartContainers", true, now: now)
        setCondition(&pod, "Ready", true, now: now)
        setCondition(&pod, "ContainersReady", true, now: now)
        setContainerStatuses(&pod, containerIDs: containerIDs) { _ in (running(since: now), true, true) }
    }

    /// The main container ended with `outcome`, the others `Completed` with it; phase Succeeded when all exited
    /// 0, else Failed (with `Evicted` when the node evicted the Pod).
    static func markTerminated(
        _ pod: inout JSONValue, outcome: ContainerOutcome, mainContainer: String, containerIDs: [String: String]
    ) {
        let finishedAt = outcome.finishedAt
        let succeeded = outcome.exitCode == 0 && outcome.evictionMessage == nil
        pod[path: "status", "phase"] = succeeded ? "Succeeded" : "Failed"
        if let message = outcome.evictionMessage {
            pod[path: "status", "reason"] = "Evicted"
            pod[path: "status", "message"] = .string(message)
            setCondition(
                &pod, "DisruptionTarget", true, reason: "TerminationByKubelet", message: message, now: finishedAt)
        }
        setCondition(&pod, "PodReadyToStartContainers", false, now: finishedAt)
        setCondition(&pod, "Ready", false, reason: "PodCompleted", now: finishedAt)
        setCondition(&pod, "ContainersReady", false, reason: "PodCompleted", now: finishedAt)
        setContainerStatuses(&pod, containerIDs: containerIDs) { name in
            let containerOutcome = name == mainContainer
                ? outcome : ContainerOutcome.exited(0, startedAt: outcome.startedAt).finished(at: finishedAt)
            return (terminated(containerOutcome, containerID: containerIDs[name]), false, false)
        }
    }
}
