import JSON
import Logging
import ServiceLifecycle
import Synchronization

/// An in-process Kubernetes API server for tests and the demo: Pods (create, get, list with pagination, watch,
/// update, patch, delete, status, log), the Events of the simulated scheduler and kubelet (get, list, watch) and
/// Leases over HTTP/1.1, or HTTPS with HTTP/2, on loopback, with a simulated kubelet that moves Pods through
/// their phases, optional authentication, and fault injection.
///
/// It is exact about the API's wire behaviour (status codes, `Status` bodies, watch framing, resourceVersion
/// semantics) and small everywhere else.
///
/// ```swift
/// var configuration = KubeSimConfiguration()
/// configuration.tls = true
/// configuration.authentication.tokens = ["s3cret"]
/// let sim = KubeSim(configuration: configuration, logger: logger)
/// let serviceGroup = ServiceGroup(configuration: .init(services: [sim], logger: logger))
/// async let running: Void = serviceGroup.run()
/// let port = try await sim.waitUntilListening()
/// let kubeconfig = try await sim.kubeconfig(namespace: "default")   // https, CA data, token user
/// ```
public final class KubeSim: Service, Sendable {
    let configuration: KubeSimConfiguration
    let logger: Logger
    let store: PodStore
    let audit: AuditLog
    let faultInjector: FaultInjector
    let authenticator: Authenticator
    let listenState = ListenState()
    /// The certificates of an HTTPS sim, once made at start.
    let tlsMaterial = Mutex<TLSMaterial?>(nil)
    private let createdPods: AsyncStream<PodRuntime>

    /// - Parameters:
    ///   - configuration: Where to listen, how, who may call, faults, and how the simulated kubelet behaves.
    ///   - logger: The logger for the server and every Pod (metadata `pod.name`, `k8s.verb`).
    public init(configuration: KubeSimConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        let (createdPods, created) = AsyncStream<PodRuntime>.makeStream()
        self.createdPods = createdPods
        store = PodStore(
            historyWindow: configuration.historyWindow, watchBufferLimit: configuration.watchBufferLimit,
            logLineLimit: configuration.logLineLimit, eventLimit: configuration.eventLimit,
            eventTTL: configuration.eventTTL, created: created)
        audit = AuditLog(memoryLimit: configuration.auditMemoryLimit)
        faultInjector = FaultInjector(configuration.faults)
        authenticator = Authenticator(configuration.authentication)
        if let window = configuration.faults.historyWindow { store.setHistoryWindow(window) }
    }

    /// Serves until the task is cancelled or a graceful shutdown is triggered; runs once.
    ///
    /// With ``KubeSimConfiguration/tls`` it first makes its certificates with the `openssl` command. Graceful
    /// shutdown ends every watch and log stream so that the server can drain, then stops every Pod (killing
    /// `exec` processes).
    ///
    /// - Throws: ``KubeSimError`` when the certificates, the listener or the audit log cannot be set up.
    public func run() async throws {
        guard listenState.start() else {
            throw KubeSimError(.notRunning, "KubeSim.run() was called a second time; a KubeSim runs once")
        }
        do {
            if configuration.authentication.clientCertificates && !configuration.tls {
                throw KubeSimError(
                    .tlsSetupFailed, "client certificate authentication needs HTTPS: set tls (--tls) as well")
            }
            if let path = configuration.auditLogPath { try audit.open(path: path) }
            defer { audit.closeFile() }
            let tls = configuration.tls ? try await makeTLS() : nil
            let kubelet = Kubelet(store: store, configuration: configuration, logger: logger)
            let createdPods = createdPods
            try await withGracefulShutdownHandler {
                try await withThrowingDiscardingTaskGroup { group in
                    group.addTask { await kubelet.run(createdPods) }
                    group.addTask { await self.housekeeping() }
                    group.addTask { await self.dropWatchesPeriodically() }
                    try await self.serve(tls: tls)
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

    /// Every bookmark interval: BOOKMARK events, and expired Events leave.
    private func housekeeping() async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: configuration.bookmarkInterval)
            } catch {
                return
            }
            store.sendBookmarks()
            store.expireEvents()
        }
    }

    /// The bound port, once the server listens (also during an injected downtime).
    ///
    /// - Throws: ``KubeSimError`` with code `notRunning` (or the listener's error) when the server stopped
    ///   before listening; `CancellationError` when the waiting task is cancelled.
    public func waitUntilListening() async throws -> Int {
        try await listenState.waitUntilListening()
    }

    /// `http://127.0.0.1:PORT` (`https://…` with TLS), once the server listens (with the configured port if it
    /// never does).
    public var baseURL: String {
        get async { url(port: (try? await waitUntilListening()) ?? configuration.port) }
    }

    func url(port: Int) -> String {
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        return "\(configuration.tls ? "https" : "http")://\(host):\(port)"
    }

    /// The current Pods (as the API would return them), in namespace and name order.
    public func pods() async -> [JSONValue] {
        store.allPods()
    }

    /// The current core/v1 Events (as the API would return them), in namespace and name order.
    public func events() async -> [JSONValue] {
        store.allEvents()
    }

    /// The audit entries so far (the most recent 10,000), oldest first: `time`, `verb`, `path`, `code`,
    /// and `namespace` and `pod` when the request is about Pods.
    public func auditEntries() async -> [JSONValue] {
        audit.entries
    }
}
