/// How a ``KubeSim`` listens (HTTP or HTTPS), who may call it, which faults it injects, and how its simulated
/// kubelet moves Pods through their phases.
///
/// ```swift
/// var configuration = KubeSimConfiguration()
/// configuration.mode = .exec          // really run each Pod's `base` container command
/// configuration.auditLogPath = "/tmp/kubesim-audit.jsonl"
/// configuration.tls = true
/// configuration.authentication.tokens = ["s3cret"]
/// configuration.faults.errors = [.init(verb: "create", rate: 0.1, code: 503)]
/// configuration.authentication.serviceAccounts = ["t0ken": .init(namespace: "taskpod", name: "taskpod")]
/// configuration.rbac = try KubeSimRBAC(yaml: renderedChart)   // 403 Forbidden for what the Roles do not allow
/// let sim = KubeSim(configuration: configuration, logger: logger)
/// ```
public struct KubeSimConfiguration: Sendable {
    /// What the simulated kubelet does with a Pod's containers.
    public enum KubeletMode: String, Sendable {
        /// Run the `base` container's `command` + `args` as a local process.
        case exec
        /// Follow the Pod's `kubesim.taskpod.io/*` annotations (run time, exit code, log, OOM, …).
        case scripted
    }

    /// The address to listen on.
    public var host: String = "127.0.0.1"
    /// The port to listen on; 0 picks a random free port (see ``KubeSim/waitUntilListening()``).
    public var port: Int = 0
    /// What the simulated kubelet does with containers.
    public var mode: KubeletMode = .scripted
    /// How long a new Pod stays unscheduled.
    public var scheduleDelay: Duration = .milliseconds(50)
    /// How long a scheduled Pod's containers stay in `ContainerCreating`.
    public var startDelay: Duration = .milliseconds(100)
    /// How long a container runs in `scripted` mode without a `kubesim.taskpod.io/run-seconds` annotation.
    public var defaultRunTime: Duration = .milliseconds(300)
    /// How many change events are kept for watches from a resourceVersion and for the snapshots of paginated
    /// lists; older versions (and `continue` tokens) get 410 Expired.
    public var historyWindow: Int = 10_000
    /// How often watches with `allowWatchBookmarks=true` get a BOOKMARK event.
    public var bookmarkInterval: Duration = .seconds(1)
    /// A file to append one JSON line per request to (time, verb, path, code, pod); `nil` for none.
    public var auditLogPath: String? = nil
    /// How long a list snapshot may have been superseded and its `continue` tokens still be served; older ones
    /// (and ones whose snapshot left the history) get 410 Expired, as after etcd's compaction.
    public var continueTTL: Duration = .seconds(300)
    /// Serve HTTPS with a throwaway CA made at start (see ``KubeSim/certificateAuthorityPEM()``); the kubeconfig
    /// carries the CA as `certificate-authority-data`.
    public var tls: Bool = false
    /// With ``tls``: offer HTTP/2 by ALPN (`h2`, then `http/1.1`).
    public var http2: Bool = true
    /// Who may call the API; by default anyone.
    public var authentication: KubeSimAuthentication = KubeSimAuthentication()
    /// The RBAC policy that authorizes the requests of service accounts (``KubeSimAuthentication/serviceAccounts``);
    /// `nil` allows every request, as before RBAC. Build it from a rendered chart with
    /// ``KubeSimRBAC/init(yaml:defaultNamespace:)``.
    public var rbac: KubeSimRBAC? = nil
    /// How many core/v1 Events are kept; beyond it the least recently written leaves first.
    public var eventLimit: Int = 10_000
    /// How long an Event is kept after its last write, as the API server's `--event-ttl` (one hour by default).
    public var eventTTL: Duration = .seconds(3600)
    /// Faults to inject from the start; change them at run time with ``KubeSim/setFaults(_:)`` or
    /// `PUT /kubesim/faults`.
    public var faults: KubeSimFaults = KubeSimFaults()

    /// How many events a watch may have waiting for a slow client before its stream is ended.
    var watchBufferLimit: Int = 1_000
    /// How many audit entries are kept in memory for ``KubeSim/auditEntries()``.
    var auditMemoryLimit: Int = 10_000
    /// How many log lines are kept per container.
    var logLineLimit: Int = 100_000

    /// A configuration; every parameter defaults to the value documented on its property.
    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        mode: KubeletMode = .scripted,
        scheduleDelay: Duration = .milliseconds(50),
        startDelay: Duration = .milliseconds(100),
        defaultRunTime: Duration = .milliseconds(300),
        historyWindow: Int = 10_000,
        bookmarkInterval: Duration = .seconds(1),
        auditLogPath: String? = nil
    ) {
        self.host = host
        self.port = port
        self.mode = mode
        self.scheduleDelay = scheduleDelay
        self.startDelay = startDelay
        self.defaultRunTime = defaultRunTime
        self.historyWindow = historyWindow
        self.bookmarkInterval = bookmarkInterval
        self.auditLogPath = auditLogPath
    }
}
