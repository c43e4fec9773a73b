import KubeClient

/// The controller's settings. Names follow Airflow's `[kubernetes_executor]` section where one exists.
public struct ControllerConfiguration: Sendable {
    /// This controller's id: the `airflow-worker` label of the Pods it owns.
    public var controllerID: String
    /// Where Pods go when a task names no namespace.
    public var namespace: String = "default"
    /// How many tasks may have a Pod at once.
    public var parallelism: Int = 256
    /// The base Pod (YAML); a built-in minimal Pod when nil.
    public var podTemplateFile: String?
    /// The image when the task names none; it wins over the template's.
    public var image: String?
    /// Watch Pods in these namespaces besides `namespace` (Airflow's `multi_namespace_mode_namespace_list`).
    public var extraNamespaces: [String] = []
    /// Watch Pods in every namespace (`multi_namespace_mode`; needs a ClusterRole).
    public var allNamespaces: Bool = false
    /// At most this many live tasks per DAG (`max_active_tasks`); a DAG not listed uses `maxActiveTasksPerDag`.
    public var maxActiveTasksByDag: [String: Int] = [:]
    /// At most this many live tasks per DAG unless listed in `maxActiveTasksByDag`; nil: no limit.
    public var maxActiveTasksPerDag: Int?
    /// At most this many live tasks per namespace; nil: no limit.
    public var maxActiveTasksPerNamespace: Int?
    /// How often this controller records that it is alive.
    public var heartbeatInterval: Duration = .seconds(5)
    /// A peer silent this long is dead and its Pods are adopted.
    public var heartbeatTimeout: Duration = .seconds(30)
    /// How often peers are checked for adoption.
    public var adoptionInterval: Duration = .seconds(5)
    /// Treat every other controller as dead at once: set when leader election guarantees this one is the only
    /// active controller.
    public var exclusive: Bool = false
    /// When a task's Pod is lost, queue the task's next try instead of failing it with `PodLost`.
    public var retryLostPods: Bool = false
    /// Follow running Pods' logs and store them as they come, so a Pod evicted or deleted keeps its log.
    public var followLogs: Bool = true
    /// At most this many Pod logs are followed at once. Each follow holds a connection to the API server for as
    /// long as its Pod runs (over HTTP/1.1 one connection each, and the client opens at most 64 per server), so
    /// the bound leaves room for creates, watches and leases. A Pod not followed still has its log read when it
    /// ends; it only loses the lines of an eviction or deletion.
    public var maxFollowedLogs: Int = 32
    /// Delete a Pod once its task ended and its log is stored.
    public var deleteWorkerPods: Bool = true
    /// Delete failed Pods too (else they are kept, labelled done, for debugging).
    public var deleteWorkerPodsOnFailure: Bool = false
    /// The containers whose logs make the task log, in order (the first is the one followed while the Pod runs).
    /// A Pod's `taskpod.io/log-containers` annotation (comma-separated, from the template or the task's
    /// `pod_override`; `*` for every container) wins over it. Names the Pod lacks are skipped; when none is left,
    /// the Pod's first container is used.
    public var logContainers: [String] = [PodBuilder.baseContainer]
    /// At most this much of a Pod's log is kept in the task log; a note marks the cut.
    public var maxLogBytes: Int = 4 << 20
    /// How often the launcher looks for queued tasks when nothing woke it: a safety net. The launcher is woken at once
    /// by tasks submitted through the API in this process, by other processes' submissions (PostgreSQL
    /// `LISTEN`/`NOTIFY`; SQLite's change counter, read every ``changeCheckInterval``), and by tasks ending.
    public var pollInterval: Duration = .seconds(5)
    /// How often a SQLite store's change counter (`PRAGMA data_version`) is read to learn of tasks that other
    /// processes queued or cancelled. Unused on PostgreSQL, which notifies.
    public var changeCheckInterval: Duration = .milliseconds(15)
    public var resyncInterval: Duration = .seconds(10)
    /// Pod creates in flight at once.
    public var createConcurrency: Int = 16
    /// Reconcile workers.
    public var workers: Int = 4
    /// A Pod missing this long after its creation, with the cache in sync, is declared lost.
    public var podLostGrace: Duration = .seconds(30)
    /// How long ErrImagePull / ImagePullBackOff may last before the task fails.
    public var imagePullGrace: Duration = .seconds(120)
    /// A task still queued (no Pod created) after this long fails `QueuedTimeout` (Airflow's
    /// `task_queued_timeout`); nil: never.
    public var taskQueuedTimeout: Duration? = .seconds(600)
    /// A Pod Pending this long after its creation is deleted and its task fails `PendingTimeout` with the
    /// scheduler's reason (`worker_pods_pending_timeout`); nil: never.
    public var workerPodsPendingTimeout: Duration? = .seconds(300)

    /// On a graceful stop (SIGTERM), how long the Pod creates and reconciles in progress may take to finish before
    /// they are cancelled. Keep the Pod's `terminationGracePeriodSeconds` above it.
    public var shutdownGracePeriod: Duration = .seconds(10)

    public init(controllerID: String) {
        self.controllerID = controllerID
    }

    /// Refuses settings the controller cannot run with, naming the setting and the fix.
    public func validate() throws(ConfigurationError) {
        func check(_ ok: Bool, _ setting: String, _ message: String) throws(ConfigurationError) {
            if !ok { throw ConfigurationError(setting: setting, message: message) }
        }
        try check(!controllerID.isEmpty, "controllerID", "must not be empty: give every controller a stable id")
        try check(parallelism >= 1, "parallelism", "must be at least 1, not \(parallelism)")
        try check(
            heartbeatTimeout >= heartbeatInterval * 3, "heartbeatTimeout",
            "must be at least 3 × heartbeatInterval (\(heartbeatInterval.inSeconds) s), not \(heartbeatTimeout.inSeconds) s: "
                + "a shorter one declares a live controller dead after a slow heartbeat and adopts its Pods"
        )
        try check(maxFollowedLogs >= 0, "maxFollowedLogs", "must be 0 (follow none) or more, not \(maxFollowedLogs)")
        try check(createConcurrency >= 1, "createConcurrency", "must be at least 1, not \(createConcurrency)")
        try check(workers >= 1, "workers", "must be at least 1, not \(workers)")
        try check(
            changeCheckInterval > .zero, "changeCheckInterval",
            "must be more than 0 s, not \(changeCheckInterval.inSeconds) s (10–20 ms reads SQLite's change counter cheaply)"
        )
        try check(shutdownGracePeriod >= .zero, "shutdownGracePeriod", "must be 0 or more seconds, not \(shutdownGracePeriod.inSeconds)")
        try check(maxLogBytes >= 1024, "maxLogBytes", "must be at least 1024, not \(maxLogBytes)")
        try check(
            !logContainers.isEmpty && logContainers.allSatisfy { !$0.isEmpty }, "logContainers",
            "must name at least one container (e.g. base), without empty names"
        )
    }
}

/// A controller setting that cannot work.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var setting: String
    public var message: String
    public var description: String { "invalid controller setting \(setting): \(message)" }
}
