import JSON

/// Edits of a Pod's `status` as the scheduler and the kubelet make them, in the API's field order.
enum PodStatus {
    static let nodeName = "kubesim-node-1"
    static let hostIP = "172.18.0.2"

    private static let conditionOrder = [
        "DisruptionTarget", "PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled",
    ]

    /// Sets a condition; its `lastTransitionTime` only moves when its status changes.
    static func setCondition(
        _ pod: inout JSONValue, _ type: String, _ value: Bool, reason: String? = nil, message: String? = nil,
        now: Timestamp
    ) {
        var conditions = pod[path: "status", "conditions"]?.arrayValue ?? []
        let status: JSONValue = value ? "True" : "False"
        let index = conditions.firstIndex { $0["type"]?.stringValue == type }
        var transition = JSONValue.string(now.rfc3339)
        if let index, conditions[index]["status"] == status, let previous = conditions[index]["lastTransitionTime"] {
            transition = previous
        }
        var condition: JSONObject = [
            "type": .string(type), "status": status, "lastProbeTime": .null, "lastTransitionTime": transition,
        ]
        if let reason { condition["reason"] = .string(reason) }
        if let message { condition["message"] = .string(message) }
        if let index {
            conditions[index] = .object(condition)
        } else {
            conditions.append(.object(condition))
        }
        func rank(_ condition: JSONValue) -> Int {
            conditionOrder.firstIndex(of: condition["type"]?.stringValue ?? "") ?? conditionOrder.count
        }
        conditions = conditions.enumerated().sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }
            .map(\.element)
        pod[path: "status", "conditions"] = .array(conditions)
    }

    /// Sets every container's status from `state(name)`: the `state` object and whether it is ready/started.
    static func setContainerStatuses(
        _ pod: inout JSONValue, containerIDs: [String: String] = [:],
        _ state: (String) -> (state: JSONValue, ready: Bool, started: Bool)
    ) {
        let containers = pod[path: "spec", "containers"]?.arrayValue ?? []
        pod[path: "status", "containerStatuses"] = .array(containers.map { container in
            let name = container["name"]?.stringValue ?? ""
            let (containerState, ready, started) = state(name)
            let image = container["image"]?.stringValue ?? ""
            var status: JSONObject = [
                "name": .string(name), "state": containerState, "lastState": .object([:]), "ready": .bool(ready),
                "restartCount": 0, "image": container["image"] ?? "",
                "imageID": containerIDs[name] == nil ? "" : .string("kubesim://" + image),
            ]
            if let id = containerIDs[name] { status["containerID"] = .string(id) }
            status["started"] = .bool(started)
            return .object(status)
        })
    }

    /// The waiting state, e.g. `ContainerCreating`, or `ErrImagePull` with a message.
    static func waiting(_ reason: String, message: String? = nil) -> JSONValue {
        var waiting: JSONObject = ["reason": .string(reason)]
        if let message { waiting["message"] = .string(message) }
        return ["waiting": .object(waiting)]
    }

    static func running(since startedAt: Timestamp) -> JSONValue {
        ["running": ["startedAt": .string(startedAt.rfc3339)]]
    }

    static func terminated(_ outcome: ContainerOutcome, containerID: String?) -> JSONValue {
        var terminated: JSONObject = ["exitCode": .int(Int64(outcome.exitCode)), "reason": .string(outcome.reason)]
        if let message = outcome.message { terminated["message"] = .string(message) }
        terminated["startedAt"] = .string(outcome.startedAt.rfc3339)
        terminated["finishedAt"] = .string(outcome.finishedAt.rfc3339)
        if let containerID { terminated["containerID"] = .string(containerID) }
        return ["terminated": .object(terminated)]
    }

    private static let statusOrder = [
        "observedGeneration", "phase", "conditions", "message", "reason", "nominatedNodeName", "hostIP", "hostIPs",
        "podIP", "podIPs", "startTime", "initContainerStatuses", "containerStatuses", "qosClass",
        "ephemeralContainerStatuses", "resize", "resourceClaimStatuses",
    ]

    /// The status with its keys in the API's order.
    static func ordered(_ pod: inout JSONValue) {
        guard let status = pod["status"]?.objectValue else { return }
        var result = JSONObject()
        for key in statusOrder { if let value = status[key] { result[key] = value } }
        for (key, value) in status where result[key] == nil { result[key] = value }
        pod["status"] = .object(result)
    }
}
