import ArgumentParser
import TaskPod

/// The controller's flags. Each is unset unless given, so that the configuration file and `TASKPOD_*` variables
/// show through; defaults, types and ranges live in ``TaskPodSettings/table``, whose help each flag shows.
struct ControllerOptions: ParsableArguments {
    @Option(name: .customLong("controller-id"), help: ArgumentHelp(TaskPodSettings.flagHelp("controller_id")))
    var controllerID: String?

    @Option(help: ArgumentHelp(TaskPodSettings.flagHelp("namespace")))
    var namespace: String?

    @Option(help: ArgumentHelp(TaskPodSettings.flagHelp("parallelism")))
    var parallelism: Int?

    @Option(help: ArgumentHelp(TaskPodSettings.flagHelp("pod_template_file"), valueName: "file"))
    var podTemplateFile: String?

    @Option(help: ArgumentHelp(TaskPodSettings.flagHelp("image")))
    var image: String?

    @Option(help: ArgumentHelp(TaskPodSettings.flagHelp("delete_worker_pods"), valueName: "true|false"))
    var deleteWorkerPods: Bool?

    @Option(help: ArgumentHelp(TaskPodSettings.flagHelp("delete_worker_pods_on_failure"), valueName: "true|false"))
    var deleteWorkerPodsOnFailure: Bool?

    @Option(help: ArgumentHelp(TaskPodSettings.flagHelp("log_containers"), valueName: "name,name"))
    var logContainers: String?

    @Option(help: ArgumentHelp(TaskPodSettings.flagHelp("max_log_bytes")))
    var maxLogBytes: Int?

    @Option(help: ArgumentHelp(TaskPodSettings.flagHelp("multi_namespace_mode_namespace_list"), valueName: "ns,ns"))
    var namespaces: String?

    @Flag(inversion: .prefixedNo, help: ArgumentHelp(TaskPodSettings.flagHelp("multi_namespace_mode")))
    var allNamespaces: Bool?

    @Option(help: ArgumentHelp(TaskPodSettings.flagHelp("max_active_tasks_per_dag")))
    var maxActiveTasksPerDag: Int?

    @Option(help: ArgumentHelp(TaskPodSettings.flagHelp("max_active_tasks_per_namespace")))
    var maxActiveTasksPerNamespace: Int?

    @Option(help: ArgumentHelp(TaskPodSettings.flagHelp("task_queued_timeout"), valueName: "seconds"))
    var taskQueuedTimeout: Int?

    @Option(help: ArgumentHelp(TaskPodSettings.flagHelp("worker_pods_pending_timeout"), valueName: "seconds"))
    var workerPodsPendingTimeout: Int?

    @Option(help: ArgumentHelp(TaskPodSettings.flagHelp("image_pull_grace"), valueName: "seconds"))
    var imagePullGrace: Int?

    @Option(help: ArgumentHelp(TaskPodSettings.flagHelp("heartbeat_interval"), valueName: "seconds"))
    var heartbeatInterval: Int?

    @Option(help: ArgumentHelp(TaskPodSettings.flagHelp("heartbeat_timeout"), valueName: "seconds"))
    var heartbeatTimeout: Int?

    @Option(help: ArgumentHelp(TaskPodSettings.flagHelp("follow_logs"), valueName: "true|false"))
    var followLogs: Bool?

    @Option(help: ArgumentHelp(TaskPodSettings.flagHelp("max_followed_logs")))
    var maxFollowedLogs: Int?

    @Flag(inversion: .prefixedNo, help: ArgumentHelp(TaskPodSettings.flagHelp("retry_lost_pods")))
    var retryLostPods: Bool?

    @Option(help: ArgumentHelp(TaskPodSettings.flagHelp("shutdown_grace_period"), valueName: "seconds"))
    var shutdownGracePeriod: Int?

    /// The flags given, by setting key.
    var givenSettings: [String: SettingValue] {
        var given = GivenSettings()
        given["controller_id"] = controllerID
        given["namespace"] = namespace
        given["parallelism"] = parallelism
        given["pod_template_file"] = podTemplateFile
        given["image"] = image
        given["delete_worker_pods"] = deleteWorkerPods
        given["delete_worker_pods_on_failure"] = deleteWorkerPodsOnFailure
        given[list: "log_containers"] = logContainers
        given["max_log_bytes"] = maxLogBytes
        given[list: "multi_namespace_mode_namespace_list"] = namespaces
        given["multi_namespace_mode"] = allNamespaces
        given["max_active_tasks_per_dag"] = maxActiveTasksPerDag
        given["max_active_tasks_per_namespace"] = maxActiveTasksPerNamespace
        given["task_queued_timeout"] = taskQueuedTimeout
        given["worker_pods_pending_timeout"] = workerPodsPendingTimeout
        given["image_pull_grace"] = imagePullGrace
        given["heartbeat_interval"] = heartbeatInterval
        given["heartbeat_timeout"] = heartbeatTimeout
        given["follow_logs"] = followLogs
        given["max_followed_logs"] = maxFollowedLogs
        given["retry_lost_pods"] = retryLostPods
        given["shutdown_grace_period"] = shutdownGracePeriod
        return given.values
    }
}
