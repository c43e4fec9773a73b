extension TaskPodSettings {
    /// Every setting, in the order the defaults file lists them. Adding a setting: a property of ``TaskPodSettings``,
    /// a row here, and (for a flag) one line in the CLI's `givenSettings`.
    public static var table: [TaskPodSetting] {
        [
            // The store and the cluster.
            .init("controller_id", \.controllerID,
                  "This controller's id (the airflow-worker label of its Pods); stable across restarts so it finds its Pods again "
                      + "(unset: taskpod-<host name>)."),
            .init("db", \.db, secret: true,
                  "The task store: a SQLite file path (sqlite:///path also works) or a database URL (a secret: never printed)."),
            .init("kubeconfig", \.kubeconfig, "The kubeconfig file (unset: $KUBECONFIG, else ~/.kube/config)."),
            .init("context", \.context, "The kubeconfig context (unset: its current-context)."),
            .init("in_cluster", \.inCluster, "Use the Pod's service account (in-cluster configuration) instead of a kubeconfig."),
            .init("qps", \.qps, minimum: 0.1, "Client-side requests per second to the API server; a task costs about 3 (create, log read, delete), so 400 sustains ~130 tasks/s. Beyond its share the server's API Priority and Fairness answers 429 with Retry-After, which the client honours (docs/configuration.md, Throughput)."),
            .init("burst", \.burst, minimum: 1, "Client-side burst above qps: a second of creates for a batch that arrives at once."),

            // Pods.
            .init("namespace", \.namespace, "The namespace of task Pods (unset: the kubeconfig context's)."),
            .init("multi_namespace_mode", \.multiNamespaceMode, flag: "--all-namespaces",
                  "Watch Pods in every namespace (needs a ClusterRole)."),
            .init("multi_namespace_mode_namespace_list", \.multiNamespaceModeNamespaceList, flag: "--namespaces",
                  "Also watch and run Pods in these namespaces."),
            .init("pod_template_file", \.podTemplateFile, "The base Pod (YAML) of every task (unset: a built-in minimal Pod)."),
            .init("image", \.image, "The image when neither the task nor the template names one."),
            .init("delete_worker_pods", \.deleteWorkerPods, "Delete a task's Pod once it ended and its log is stored."),
            .init("delete_worker_pods_on_failure", \.deleteWorkerPodsOnFailure,
                  "Delete failed Pods too; otherwise they are kept, labelled airflow_executor_done=True."),

            // Scheduling and timeouts.
            .init("parallelism", \.parallelism, minimum: 1, "How many tasks may have a Pod at once; 256 keeps 100 tasks/s flowing for tasks that live up to ~2.5 s."),
            .init("max_active_tasks_per_dag", \.maxActiveTasksPerDag, minimum: 1,
                  "At most this many live tasks per DAG (max_active_tasks; unset: no limit)."),
            .init("max_active_tasks_per_namespace", \.maxActiveTasksPerNamespace, minimum: 1,
                  "At most this many live tasks per namespace (unset: no limit)."),
            .init("task_queued_timeout", \.taskQueuedTimeout, minimum: 0,
                  "Fail a task still queued after this many seconds (0: never)."),
            .init("worker_pods_pending_timeout", \.workerPodsPendingTimeout, minimum: 0,
                  "Delete a Pod Pending longer than this many seconds and fail its task (0: never)."),
            .init("image_pull_grace", \.imagePullGrace, minimum: 0,
                  "Seconds ErrImagePull / ImagePullBackOff may last before the task fails."),
            .init("retry_lost_pods", \.retryLostPods,
                  "When a task's Pod is lost, queue its next try instead of failing it with PodLost."),

            // Peers and leadership.
            .init("heartbeat_interval", \.heartbeatInterval, minimum: 1, "Seconds between this controller's heartbeats in the store."),
            .init("heartbeat_timeout", \.heartbeatTimeout, minimum: 3,
                  "A peer controller silent this many seconds is dead and its Pods are adopted (at least 3 heartbeat intervals)."),
            .init("leader_elect", \.leaderElect,
                  "Run only while holding a coordination.k8s.io Lease (for two replicas: one active, one standby)."),
            .init("lease_name", \.leaseName, "The Lease's name."),
            .init("lease_namespace", \.leaseNamespace, "The Lease's namespace (unset: the controller's)."),
            .init("lease_duration", \.leaseDuration, minimum: 1,
                  "Seconds a leader's Lease lasts without renewal; the standby takes over after it."),
            .init("shutdown_grace_period", \.shutdownGracePeriod, minimum: 0,
                  "On SIGTERM, seconds the Pod creates and state recordings in progress get to finish before they are cancelled "
                      + "(keep terminationGracePeriodSeconds above it)."),

            // Task logs.
            .init("follow_logs", \.followLogs, "Follow running Pods' logs into the task log as they come."),
            .init("max_followed_logs", \.maxFollowedLogs, minimum: 0,
                  "At most this many running Pods' logs are followed at once; the others are read when their Pod ends (0: follow none)."),
            .init("max_log_bytes", \.maxLogBytes, minimum: 1024, "At most this many bytes of a Pod's log are kept in the task log."),
            .init("log_containers", \.logContainers,
                  "The containers whose logs make the task log, in order; a Pod's taskpod.io/log-containers annotation wins (* for all)."),

            // The controller's own log.
            .init("log_level", \.logLevel, choices: ["trace", "debug", "info", "notice", "warning", "error", "critical"],
                  "Log level: trace, debug, info, notice, warning, error, critical."),
            .init("log_format", \.logFormat, choices: ["text", "json"],
                  "Log format: text (for people) or json (one object per line, for log collectors)."),

            // The HTTP API.
            .init("listen", \.listen, "Serve the HTTP API at this address, host:port (unset: no API)."),
            .init("api_token_file", \.apiTokenFile, "A file of bearer tokens the HTTP API accepts, one a line; re-read when it changes. Required off loopback."),
            .init("api_insecure", \.apiInsecure, "Serve the HTTP API on a non-loopback address without a token file: anyone who reaches it can run Pods."),
            .init("tls_cert", \.tlsCert, "The HTTP API's TLS certificate chain (PEM file)."),
            .init("tls_key", \.tlsKey, "The HTTP API's TLS private key (PEM file)."),
        ]
    }

    /// The row of `key`, nil when there is none.
    public static func setting(_ key: String) -> TaskPodSetting? {
        table.first { $0.key == key }
    }

    /// The help of `key` as its flag shows it; for the `help:` of an `@Option` (a test checks every flag's key).
    public static func flagHelp(_ key: String) -> String {
        setting(key)?.flagHelp ?? "(no setting \(key))"
    }
}
