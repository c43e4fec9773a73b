/// Every setting of `taskpod controller`, as the configuration file, `TASKPOD_*` variables and flags give them.
///
/// The initial values are the defaults; ``table`` says how each is named, typed and described. Build one with
/// ``SettingsLoader``, then turn it into the controller's ``ControllerConfiguration``.
///
/// ```swift
/// var loader = SettingsLoader()
/// loader.apply(file: text, path: "taskpod.yaml")
/// loader.apply(environment: ProcessInfo.processInfo.environment)
/// let settings = try loader.settings()
/// ```
/// Each property is described by its row of ``table`` (key, help, flag, variable).
public struct TaskPodSettings: Sendable, Equatable {
    // The store and the cluster.
    public var controllerID: String?
    public var db: String = "taskpod.sqlite"
    public var kubeconfig: String?
    public var context: String?
    public var inCluster: Bool = false
    public var qps: Double = 400
    public var burst: Int = 800

    // Pods.
    public var namespace: String?
    public var multiNamespaceMode: Bool = false
    public var multiNamespaceModeNamespaceList: [String] = []
    public var podTemplateFile: String?
    public var image: String?
    public var deleteWorkerPods: Bool = true
    public var deleteWorkerPodsOnFailure: Bool = false

    // Scheduling and timeouts (seconds).
    public var parallelism: Int = 256
    public var maxActiveTasksPerDag: Int?
    public var maxActiveTasksPerNamespace: Int?
    public var taskQueuedTimeout: Int = 600
    public var workerPodsPendingTimeout: Int = 300
    public var imagePullGrace: Int = 120
    public var retryLostPods: Bool = false

    // Peers and leadership.
    public var heartbeatInterval: Int = 5
    public var heartbeatTimeout: Int = 30
    public var leaderElect: Bool = false
    public var leaseName: String = "taskpod-controller"
    public var leaseNamespace: String?
    public var leaseDuration: Int = 15
    public var shutdownGracePeriod: Int = 10

    // Task logs.
    public var followLogs: Bool = true
    public var maxFollowedLogs: Int = 32
    public var maxLogBytes: Int = 4 << 20
    public var logContainers: [String] = [PodBuilder.baseContainer]

    // The controller's own log.
    public var logLevel: String = "info"
    public var logFormat: String = "text"

    // The HTTP API.
    public var listen: String?
    public var apiTokenFile: String?
    public var apiInsecure: Bool = false
    public var tlsCert: String?
    public var tlsKey: String?

    public init() {}
}
