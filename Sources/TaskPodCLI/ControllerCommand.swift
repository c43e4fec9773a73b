import ArgumentParser
import CLISupport
import Foundation
import KubeClient
import Logging
import ServiceLifecycle
import UnixSignals
import TaskPod
import TaskPodServer
import TaskStore

struct ControllerOptions: ParsableArguments {
    @Option(help: "This controller's id (the airflow-worker label of its Pods); stable across restarts so it finds its Pods again.")
    var controllerID: String = ProcessInfo.processInfo.environment["TASKPOD_CONTROLLER_ID"] ?? "taskpod-\(ProcessInfo.processInfo.hostName)"

    @Option(help: "The namespace of task Pods (default: the kubeconfig context's).")
    var namespace: String?

    @Option(help: "How many tasks may have a Pod at once.")
    var parallelism: Int = 32

    @Option(help: ArgumentHelp("The base Pod (YAML) of every task.", valueName: "file"))
    var podTemplateFile: String?

    @Option(help: "The image when neither the task nor the template names one.")
    var image: String?

    @Option(help: "Delete a task's Pod once it ended and its log is stored (true|false).")
    var deleteWorkerPods: Bool = true

    @Option(help: "Delete failed Pods too; otherwise they are kept, labelled airflow_executor_done=True (true|false).")
    var deleteWorkerPodsOnFailure: Bool = false

    @Option(help: ArgumentHelp(
        "The containers whose logs make the task log, in order; a Pod's taskpod.io/log-containers annotation wins (* for all).",
        valueName: "name,name"))
    var logContainers: String = "base"

    @Option(help: "At most this many bytes of a Pod's log are kept in the task log.")
    var maxLogBytes: Int = 4 << 20

    @Option(help: ArgumentHelp("Also watch and run Pods in these namespaces (comma-separated; multi_namespace_mode_namespace_list).", valueName: "ns,ns"))
    var namespaces: String?

    @Flag(help: "Watch Pods in every namespace (multi_namespace_mode; needs a ClusterRole).")
    var allNamespaces = false

    @Option(help: "At most this many live tasks per DAG (max_active_tasks).")
    var maxActiveTasksPerDag: Int?

    @Option(help: "At most this many live tasks per namespace.")
    var maxActiveTasksPerNamespace: Int?

    @Option(help: "Fail a task still queued after this many seconds (task_queued_timeout; 0: never).")
    var taskQueuedTimeout: Int = 600

    @Option(help: "Delete a Pod Pending longer than this many seconds and fail its task (worker_pods_pending_timeout; 0: never).")
    var workerPodsPendingTimeout: Int = 300

    @Option(help: "Seconds ErrImagePull / ImagePullBackOff may last before the task fails.")
    var imagePullGrace: Int = 120

    @Option(help: "Seconds between this controller's heartbeats in the store.")
    var heartbeatInterval: Int = 5

    @Option(help: "A peer controller silent this many seconds is dead and its Pods are adopted (at least 3 heartbeat intervals).")
    var heartbeatTimeout: Int = 30

    @Option(help: "Follow running Pods' logs into the task log as they come (true|false).")
    var followLogs: Bool = true

    @Option(help: "At most this many running Pods' logs are followed at once; the others are read when their Pod ends (0: follow none).")
    var maxFollowedLogs: Int = 32

    @Flag(help: "When a task's Pod is lost, queue its next try instead of failing it with PodLost.")
    var retryLostPods = false

    @Option(help: ArgumentHelp(
        "On SIGTERM, seconds the Pod creates and state recordings in progress get to finish before they are cancelled "
            + "(keep terminationGracePeriodSeconds above it).", valueName: "seconds"))
    var shutdownGracePeriod: Int = 10

    func validate() throws {
        guard parallelism >= 1 else { throw ValidationError("--parallelism must be at least 1, not \(parallelism)") }
        for (flag, value) in [("--max-active-tasks-per-dag", maxActiveTasksPerDag), ("--max-active-tasks-per-namespace", maxActiveTasksPerNamespace)] {
            if let value, value < 1 { throw ValidationError("\(flag) must be at least 1, not \(value)") }
        }
        guard heartbeatInterval >= 1 else { throw ValidationError("--heartbeat-interval must be at least 1 second, not \(heartbeatInterval)") }
        guard heartbeatTimeout >= 3 * heartbeatInterval else {
            throw ValidationError(
                "--heartbeat-timeout must be at least 3 × --heartbeat-interval (\(3 * heartbeatInterval) s), not \(heartbeatTimeout): "
                    + "a shorter one declares a live controller dead after one slow heartbeat"
            )
        }
        guard maxFollowedLogs >= 0 else { throw ValidationError("--max-followed-logs must be 0 or more, not \(maxFollowedLogs)") }
        guard !logContainers.split(separator: ",").isEmpty else { throw ValidationError("--log-containers must name a container, e.g. base") }
        guard shutdownGracePeriod >= 0 else { throw ValidationError("--shutdown-grace-period must be 0 or more seconds, not \(shutdownGracePeriod)") }
        guard maxLogBytes >= 1024 else { throw ValidationError("--max-log-bytes must be at least 1024") }
    }

    func configuration(defaultNamespace: String) -> ControllerConfiguration {
        var configuration = ControllerConfiguration(controllerID: controllerID)
        configuration.namespace = namespace ?? defaultNamespace
        configuration.parallelism = parallelism
        configuration.podTemplateFile = podTemplateFile
        configuration.image = image
        configuration.deleteWorkerPods = deleteWorkerPods
        configuration.deleteWorkerPodsOnFailure = deleteWorkerPodsOnFailure
        configuration.maxLogBytes = maxLogBytes
        configuration.logContainers = logContainers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        configuration.extraNamespaces = namespaces.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
        configuration.allNamespaces = allNamespaces
        configuration.maxActiveTasksPerDag = maxActiveTasksPerDag
        configuration.maxActiveTasksPerNamespace = maxActiveTasksPerNamespace
        configuration.taskQueuedTimeout = taskQueuedTimeout > 0 ? .seconds(taskQueuedTimeout) : nil
        configuration.workerPodsPendingTimeout = workerPodsPendingTimeout > 0 ? .seconds(workerPodsPendingTimeout) : nil
        configuration.imagePullGrace = .seconds(imagePullGrace)
        configuration.heartbeatInterval = .seconds(heartbeatInterval)
        configuration.heartbeatTimeout = .seconds(heartbeatTimeout)
        configuration.followLogs = followLogs
        configuration.maxFollowedLogs = maxFollowedLogs
        configuration.retryLostPods = retryLostPods
        configuration.shutdownGracePeriod = .seconds(shutdownGracePeriod)
        return configuration
    }
}

struct ControllerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "controller",
        abstract: "Run the controller: claim queued tasks, create their Pods, follow them, store their logs.",
        discussion: """
            It runs until SIGTERM or SIGINT; Pods keep running. The next controller with the same id picks them up; \
            a controller with another id adopts them once this one's heartbeat lapses (--heartbeat-timeout), or at \
            once after a graceful stop.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var kube: KubeOptions
    @OptionGroup var options: ControllerOptions
    @OptionGroup var api: APIServerOptions
    @OptionGroup var log: LogOptions

    @Flag(help: "Run only while holding a coordination.k8s.io Lease (for two replicas: one active, one standby).")
    var leaderElect = false

    @Option(help: "The Lease's name.")
    var leaseName: String = "taskpod-controller"

    @Option(help: "The Lease's namespace (default: the controller's).")
    var leaseNamespace: String?

    @Option(help: "Seconds a leader's Lease lasts without renewal; the standby takes over after it.")
    var leaseDuration: Int = 15

    @Option(help: "Client-side requests per second to the API server.")
    var qps: Double = 50

    @Option(help: "Client-side burst above --qps.")
    var burst: Int = 100

    func run() async throws {
        let logger = log.bootstrap()
        let kubeConfig = try kube.load()
        let client = KubeClient(config: kubeConfig, logger: logger, pacing: Pacing(qps: qps, burst: burst))
        // The store is a service of the group, listed first: the group stops services in reverse order, so the
        // store (a PostgreSQL pool) stops after the controller finished its calls in flight.
        let taskStore = try await store.open(logger: logger, runner: .service)
        var configuration = options.configuration(defaultNamespace: kubeConfig.namespace)
        configuration.exclusive = leaderElect
        let controller = try Controller(configuration: configuration, store: taskStore, client: client, logger: logger)
        let service: any Service
        if leaderElect {
            let timing = LeaderElection.Timing(
                leaseDuration: .seconds(leaseDuration), renewDeadline: .seconds(max(2, leaseDuration * 2 / 3)),
                retryPeriod: .seconds(max(1, leaseDuration / 7))
            )
            let elector = LeaderElector(
                client: client, name: leaseName, namespace: leaseNamespace ?? configuration.namespace,
                identity: configuration.controllerID, timing: timing, logger: logger
            )
            service = LeaderElectedController(controller: controller, elector: elector)
        } else {
            service = controller
        }
        // The API server last: it stops first, before the controller and the store it uses.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: taskStore), .init(service: service)]
        if let server = try api.server(store: taskStore, controller: controller, logger: logger) {
            services.append(.init(service: server))
        }
        var groupConfiguration = ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        // A backstop above the controller's own deadline: the lease release and the store's close get 5 s more.
        groupConfiguration.maximumGracefulShutdownDuration = configuration.shutdownGracePeriod + .seconds(5)
        try await ServiceGroup(configuration: groupConfiguration).run()
        try await taskStore.close()
    }
}
