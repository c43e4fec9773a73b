import JSON

/// The columns and cells of a Pod in a Table, as `k8s.io/kubernetes/pkg/printers/internalversion` prints them.
enum PodTable {
    static let columns: JSONValue = [
        column("Name", format: "name", nameDescription),
        column("Ready", "The aggregate readiness state of this pod for accepting traffic."),
        column("Status", "The aggregate status of the containers in this pod."),
        column("Restarts", "The number of times the containers in this pod have been restarted and when the last "
            + "container in this pod has restarted."),
        column("Age", "CreationTimestamp is a timestamp representing the server time when this object was "
            + "created. It is not guaranteed to be set in happens-before order across separate operations. Clients "
            + "may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. "
            + "Read-only. Null for lists. More info: "
            + "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"),
        column("IP", priority: 1, "podIP address allocated to the pod. Routable at least within the cluster. Empty "
            + "if not yet allocated."),
        column("Node", priority: 1, "NodeName indicates in which node this pod is scheduled. If empty, this pod is "
            + "a candidate for scheduling by the scheduler defined in schedulerName."),
        column("Nominated Node", priority: 1, "nominatedNodeName is set only when this pod preempts other pods on "
            + "the node, but it cannot be scheduled right away as preemption victims receive their graceful "
            + "termination periods."),
        column("Readiness Gates", priority: 1, "If specified, all readiness gates will be evaluated for pod "
            + "readiness."),
    ]

    /// `metadata.name`'s description, as every resource's Name column carries it.
    static let nameDescription = "Name must be unique within a namespace. Is required when creating "
        + "resources, although some resources may allow a client to request the generation of an appropriate "
        + "name automatically. Name is primarily intended for creation idempotence and configuration "
        + "definition. Cannot be updated. More info: "
        + "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"

    static func column(
        _ name: String, format: String = "", priority: Int64 = 0, _ description: String
    ) -> JSONValue {
        [
            "name": .string(name), "type": "string", "format": .string(format),
            "description": .string(description), "priority": .int(priority),
        ]
    }

    /// NAME, READY, STATUS, RESTARTS, AGE, then (`-o wide`) IP, NODE, NOMINATED NODE, READINESS GATES.
    static func cells(_ pod: JSONValue, now: Timestamp) -> [JSONValue] {
        let containers = pod[path: "spec", "containers"]?.arrayValue ?? []
        let statuses = pod[path: "status", "containerStatuses"]?.arrayValue ?? []
        var reason = pod[path: "status", "phase"]?.stringValue ?? ""
        if let podReason = pod[path: "status", "reason"]?.stringValue, !podReason.isEmpty { reason = podReason }
        var ready = 0
        var restarts: Int64 = 0
        var hasRunning = false
        for status in statuses.reversed() {
            restarts += status["restartCount"]?.intValue ?? 0
            if let waiting = status[path: "state", "waiting", "reason"]?.stringValue, !waiting.isEmpty {
                reason = waiting
            } else if let terminated = status[path: "state", "terminated"] {
                if let terminatedReason = terminated["reason"]?.stringValue, !terminatedReason.isEmpty {
                    reason = terminatedReason
                } else if let signal = terminated["signal"]?.intValue, signal != 0 {
                    reason = "Signal:\(signal)"
                } else {
                    reason = "ExitCode:\(terminated["exitCode"]?.intValue ?? 0)"
                }
            } else if status["ready"]?.boolValue == true, status[path: "state", "running"] != nil {
                hasRunning = true
                ready += 1
            }
        }
        if reason == "Completed" && hasRunning {
            let podReady = (pod[path: "status", "conditions"]?.arrayValue ?? []).contains {
                $0["type"] == "Ready" && $0["status"] == "True"
            }
            reason = podReady ? "Running" : "NotReady"
        }
        let phase = pod[path: "status", "phase"]?.stringValue
        if pod[path: "metadata", "deletionTimestamp"] != nil, phase != "Succeeded", phase != "Failed" {
            reason = "Terminating"
        }
        let created = pod[path: "metadata", "creationTimestamp"]?.stringValue.flatMap(Timestamp.init(rfc3339:))
        let age = created.map { humanDuration(seconds: now.seconds - $0.seconds) } ?? "<unknown>"
        func orNone(_ value: JSONValue?) -> JSONValue {
            guard let text = value?.stringValue, !text.isEmpty else { return "<none>" }
            return .string(text)
        }
        let gates = pod[path: "spec", "readinessGates"]?.arrayValue ?? []
        return [
            pod[path: "metadata", "name"] ?? "", .string("\(ready)/\(containers.count)"), .string(reason),
            .string(String(restarts)), .string(age), orNone(pod[path: "status", "podIP"]),
            orNone(pod[path: "spec", "nodeName"]), orNone(pod[path: "status", "nominatedNodeName"]),
            gates.isEmpty ? "<none>" : .string("0/\(gates.count)"),
        ]
    }

    /// `k8s.io/apimachinery/pkg/util/duration.HumanDuration`: `45s`, `3m20s`, `5h10m`, `3d4h`, `2y10d`.
    static func humanDuration(seconds: Int64) -> String {
        if seconds < -1 { return "<invalid>" }
        if seconds < 0 { return "0s" }
        if seconds < 120 { return "\(seconds)s" }
        let minutes = seconds / 60
        if minutes < 10 {
            let rest = seconds % 60
            return rest == 0 ? "\(minutes)m" : "\(minutes)m\(rest)s"
        }
        if minutes < 180 { return "\(minutes)m" }
        let hours = seconds / 3600
        if hours < 8 {
            let rest = minutes % 60
            return rest == 0 ? "\(hours)h" : "\(hours)h\(rest)m"
        }
        if hours < 48 { return "\(hours)h" }
        if hours < 24 * 8 {
            let rest = hours % 24
            return rest == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(rest)h"
        }
        if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
        if hours < 24 * 365 * 8 {
            let rest = (hours / 24) % 365
            return rest == 0 ? "\(hours / 24 / 365)y" : "\(hours / 24 / 365)y\(rest)d"
        }
        return "\(hours / 24 / 365)y"
    }
}
