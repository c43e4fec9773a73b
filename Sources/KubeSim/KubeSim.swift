import JSON
import Logging
import ServiceLifecycle

/// An in-process Kubernetes API server for tests and the demo: Pods (create, get, list, watch, patch, delete,
/// log) over HTTP/1.1 on loopback, with a simulated kubelet that moves them through their phases.
///
/// It is exact about the API's wire behaviour (status codes, `Status` bodies, watch framing, resourceVersion
/// semantics) and small everywhere else.
///
/// ```swift
/// let sim = KubeSim(configuration: KubeSimConfiguration(), logger: logger)
/// let serviceGroup = ServiceGroup(configuration: .init(services: [sim], logger: logger))
/// async let running: Void = serviceGroup.run()
/// let port = try await sim.waitUntilListening()
/// let kubeconfig = try await sim.kubeconfig(namespace: "default")
/// ```
public final class KubeSim: Service, Sendable {
    let configuration: KubeSimConfiguration
    let logger: Logger
    let store: PodStore
    let audit: AuditLog
    let listenState = ListenState()
    private let createdPods: AsyncStream<PodRuntime>

    /// - Parameters:
    ///   - configuration: Where to listen and how the simulated kubelet behaves.
    ///   - logger: The logger for the server and every Pod (metadata `pod.name`, `k8s.verb`).
    public init(configuration: KubeSimConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        let (createdPods, created) = AsyncStream<PodRuntime>.makeStream()
        self.createdPods = createdPods
        store = PodStore(
            historyWindow: configuration.historyWindow, watchBufferLimit: configuration.watchBufferLimit,
            logLineLimit: configuration.logLineLimit, created: created)
        audit = AuditLog(memoryLimit: configuration.auditMemoryLimit)
    }

    /// Serves until the task is cancelled or a graceful shutdown is triggered; runs once.
    ///
    /// Graceful shutdown ends every watch and log stream so that the server can drain, then stops every Pod
    /// (killing `exec` processes).
    ///
    /// - Throws: ``KubeSimError`` when the listener or the audit log cannot be set up.
    public func run() async throws {
        guard listenState.start() else {
            throw KubeSimError(.notRunning, "KubeSim.run() was called a second time; a KubeSim runs once")
        }
        do {
            if let path = configuration.auditLogPath { try audit.open(path: path) }
            defer { audit.closeFile() }
            let application = makeApplication()
            let kubelet = Kubelet(store: store, configuration: configuration, logger: logger)
            let createdPods = createdPods
            try await withGracefulShutdownHandler {
                try await withThrowingDiscardingTaskGroup { group in
                    group.addTask { await kubelet.run(createdPods) }
                    group.addTask { await self.sendBookmarks() }
                    try await application.run()
                    group.cancelAll()
                }
            } onGracefulShutdown: {
                self.store.shutdown()
            }
        } catch {
            store.shutdown()
            listenState.stopped(error)
            throw error
        }
        store.shutdown()
        listenState.stopped(KubeSimError(.notRunning, "the KubeSim server has stopped"))
    }

    private func sendBookmarks() async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: configuration.bookmarkInterval)
            } catch {
                return
            }
            store.sendBookmarks()
        }
    }

    /// The bound port, once the server listens.
    ///
    /// - Throws: ``KubeSimError`` with code `notRunning` (or the listener's error) when the server stopped
    ///   before listening; `CancellationError` when the waiting task is cancelled.
    public func waitUntilListening() async throws -> Int {
        try await listenState.waitUntilListening()
    }

    /// `http://127.0.0.1:PORT`, once the server listens (with the configured port if it never does).
    public var baseURL: String {
        get async { url(port: (try? await waitUntilListening()) ?? configuration.port) }
    }

    private func url(port: Int) -> String {
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        return "http://\(host):\(port)"
    }

    /// A kubeconfig (YAML text) with one cluster, user and context, all named `kubesim`, pointing at this server.
    ///
    /// - Parameter namespace: The context's namespace.
    /// - Throws: ``KubeSimError`` when `namespace` is not a DNS-1123 label or the server stopped before listening.
    public func kubeconfig(namespace: String = "default") async throws -> String {
        guard Validation.dns1123LabelProblems(namespace).isEmpty else {
            throw KubeSimError(
                .invalidNamespace,
                "the namespace \(namespace.quoted) is not a DNS-1123 label (lower case letters, digits and '-')")
        }
        let server = url(port: try await waitUntilListening())
        return """
            apiVersion: v1
            kind: Config
            clusters:
            - name: kubesim
              cluster:
                server: \(server)
            users:
            - name: kubesim
              user: {}
            contexts:
            - name: kubesim
              context:
                cluster: kubesim
                user: kubesim
                namespace: "\(namespace)"
            current-context: kubesim
            preferences: {}

            """
    }

    /// The current Pods (as the API would return them), in namespace and name order.
    public func pods() async -> [JSONValue] {
        store.allPods()
    }

    /// The audit entries so far (the most recent 10,000), oldest first: `time`, `verb`, `path`, `code`,
    /// and `namespace` and `pod` when the request is about Pods.
    public func auditEntries() async -> [JSONValue] {
        audit.entries
    }
}
