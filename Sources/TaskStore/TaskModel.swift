import JSON

/// The key of one task instance try, as Airflow names it: unique in the store.
public struct TaskKey: Sendable, Hashable, Codable, CustomStringConvertible {
    public var dagID: String
    public var taskID: String
    public var runID: String
    /// -1 when the task is not mapped.
    public var mapIndex: Int
    /// From 1.
    public var tryNumber: Int

    public init(dagID: String, taskID: String, runID: String, mapIndex: Int = -1, tryNumber: Int = 1) {
        self.dagID = dagID
        self.taskID = taskID
        self.runID = runID
        self.mapIndex = mapIndex
        self.tryNumber = tryNumber
    }

    public var description: String { "\(dagID).\(taskID).\(runID)[\(mapIndex)]#\(tryNumber)" }

    enum CodingKeys: String, CodingKey {
        case dagID = "dag_id", taskID = "task_id", runID = "run_id", mapIndex = "map_index", tryNumber = "try_number"
    }
}

/// What a task runs: the part of a submission that is not its key.
public struct TaskSpec: Sendable, Hashable {
    /// argv of the `base` container (its `command`, which replaces the image's entrypoint); empty when the task
    /// gives ``args`` instead.
    public var command: [String]
    /// The `args` of the `base` container, when the image's entrypoint should stay (Airflow's KubernetesExecutor
    /// runs its workers so); nil when the task gives a ``command``.
    public var args: [String]?
    /// The image; the template's when nil.
    public var image: String?
    /// The namespace; the configured one when nil.
    public var namespace: String?
    /// A partial Pod applied over the generated one.
    public var podOverride: JSONValue?
    /// The task's own base Pod (a `pod_template_file` read at submit time), used instead of the controller's
    /// template; nil for the controller's.
    public var podTemplate: JSONValue?
    /// Extra environment for the `base` container.
    public var env: [String: String]
    /// True when the command, args and env values are secrets (Airflow's workload JWT): the HTTP API never returns
    /// them and nothing logs them. The Pod still receives them.
    public var sensitive: Bool

    public init(
        command: [String],
        args: [String]? = nil,
        image: String? = nil,
        namespace: String? = nil,
        podOverride: JSONValue? = nil,
        podTemplate: JSONValue? = nil,
        env: [String: String] = [:],
        sensitive: Bool = false
    ) {
        self.command = command
        self.args = args
        self.sensitive = sensitive
        self.image = image
        self.namespace = namespace
        self.podOverride = podOverride
        self.podTemplate = podTemplate
        self.env = env
    }
}

/// The lifecycle states of a task instance.
///
/// `queued` → `launched` (Pod created) → `running` (Pod Running) → `success` | `failed`; `cancelled` by a user.
public enum TaskState: String, Sendable, Hashable, Codable, CaseIterable {
    case queued
    case launched
    case running
    case success
    case failed
    case cancelled

    /// True for the states a task never leaves.
    public var isFinal: Bool {
        switch self {
        case .success, .failed, .cancelled: true
        case .queued, .launched, .running: false
        }
    }
}

/// One stored task instance.
public struct TaskInstance: Sendable, Hashable {
    public var id: Int64
    public var key: TaskKey
    public var spec: TaskSpec
    public var state: TaskState
    /// Why the task is in its state; always set for `failed`.
    public var reason: String?
    public var podName: String?
    public var podNamespace: String?
    /// The controller that owns the task's Pod, once claimed.
    public var controllerID: String?
    /// True when a user asked to cancel a task whose Pod may still run.
    public var cancelRequested: Bool
    public var queuedAt: Double
    public var launchedAt: Double?
    public var runningAt: Double?
    public var finishedAt: Double?
    public var updatedAt: Double
    /// The client's idempotency key for the submission (Airflow's `external_executor_id`), if it gave one.
    public var externalID: String?
    /// The store-wide change sequence of the task's last visible change (state, reason, Pod, cancel request):
    /// ``TaskStore/tasks(_:)`` with ``TaskQuery/changedAfter`` lists the tasks changed after a cursor.
    public var changeSeq: Int64

    public init(
        id: Int64, key: TaskKey, spec: TaskSpec, state: TaskState, reason: String? = nil,
        podName: String? = nil, podNamespace: String? = nil, controllerID: String? = nil,
        cancelRequested: Bool = false, queuedAt: Double, launchedAt: Double? = nil,
        runningAt: Double? = nil, finishedAt: Double? = nil, updatedAt: Double,
        externalID: String? = nil, changeSeq: Int64 = 0
    ) {
        self.id = id
        self.externalID = externalID
        self.changeSeq = changeSeq
        self.key = key
        self.spec = spec
        self.state = state
        self.reason = reason
        self.podName = podName
        self.podNamespace = podNamespace
        self.controllerID = controllerID
        self.cancelRequested = cancelRequested
        self.queuedAt = queuedAt
        self.launchedAt = launchedAt
        self.runningAt = runningAt
        self.finishedAt = finishedAt
        self.updatedAt = updatedAt
    }
}

/// One recorded transition of a task.
public struct TaskEvent: Sendable, Hashable {
    /// Seconds since 1970.
    public var at: Double
    public var from: TaskState?
    public var to: TaskState
    public var reason: String?
    public var controllerID: String?
    public var podName: String?
    public var node: String?

    public init(
        at: Double, from: TaskState?, to: TaskState, reason: String? = nil,
        controllerID: String? = nil, podName: String? = nil, node: String? = nil
    ) {
        self.at = at
        self.from = from
        self.to = to
        self.reason = reason
        self.controllerID = controllerID
        self.podName = podName
        self.node = node
    }
}

/// A controller process known to the store: registered at start, kept alive by heartbeats, marked stopped by a
/// graceful shutdown.
///
/// Times are seconds since 1970, by the clock of the process that wrote them.
public struct ControllerRecord: Sendable, Hashable {
    public var id: String
    /// The host the controller runs on, when it said.
    public var host: String?
    /// When the controller last registered.
    public var startedAt: Double
    /// The controller's last heartbeat (its registration counts as one).
    public var heartbeatAt: Double
    /// Set by a graceful shutdown: its peers may adopt its Pods at once. Cleared when it registers again.
    public var stoppedAt: Double?

    public init(id: String, host: String? = nil, startedAt: Double, heartbeatAt: Double, stoppedAt: Double? = nil) {
        self.id = id
        self.host = host
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
        self.stoppedAt = stoppedAt
    }
}

/// Live load: the tasks that hold a slot (launched, running, and queued tasks a controller has claimed), in all and
/// by DAG and namespace, for per-DAG and per-namespace concurrency limits.
public struct ActiveLoad: Sendable, Hashable {
    public var total: Int
    /// By `dag_id`; a DAG without active tasks is absent.
    public var byDag: [String: Int]
    /// By the task's `pod_namespace`, else its `namespace`, else "" (the controller's default namespace); a
    /// namespace without active tasks is absent.
    public var byNamespace: [String: Int]

    public init(total: Int = 0, byDag: [String: Int] = [:], byNamespace: [String: Int] = [:]) {
        self.total = total
        self.byDag = byDag
        self.byNamespace = byNamespace
    }
}
