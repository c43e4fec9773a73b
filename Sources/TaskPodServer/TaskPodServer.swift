import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization
import TaskPod
import TaskStore

/// The HTTP API of `taskpod controller --listen`: submit, list, follow and cancel tasks, render Pods.
///
/// Requests under `/api/` need a bearer token from the token file; `/healthz`, `/readyz`, `/metrics` and
/// `/openapi.yaml` need none. A sensitive task's command, args and env values never leave the server.
///
/// ```swift
/// let server = try TaskPodServer(
///     configuration: .init(host: "0.0.0.0", port: 8080, tokenFile: "/etc/taskpod/tokens"),
///     store: store, builder: controller.builder, logger: logger, tasksArrived: controller.tasksArrived,
///     cancelRequested: controller.cancelRequested(id:))
/// try await ServiceGroup(services: [store, controller, server], logger: logger).run()
/// ```
public final class TaskPodServer: Service, Sendable {
    public struct Configuration: Sendable {
        public var host: String
        /// 0 for any free port (see ``TaskPodServer/port``).
        public var port: Int
        /// One token per line; nil for no authentication (allowed on a loopback address, or with ``insecure``).
        public var tokenFile: String?
        /// Allows a non-loopback address without a token file.
        public var insecure: Bool
        /// PEM files of the server's certificate chain and key; plain HTTP when nil.
        public var tlsCertificate: String?
        public var tlsKey: String?
        /// How often a followed log is read again while its task runs.
        public var followInterval: Duration

        public init(
            host: String = "127.0.0.1", port: Int = 8080, tokenFile: String? = nil, insecure: Bool = false,
            tlsCertificate: String? = nil, tlsKey: String? = nil, followInterval: Duration = .milliseconds(250)
        ) {
            self.host = host
            self.port = port
            self.tokenFile = tokenFile
            self.insecure = insecure
            self.tlsCertificate = tlsCertificate
            self.tlsKey = tlsKey
            self.followInterval = followInterval
        }

        /// Refuses a non-loopback address without a token file, unless ``insecure``.
        ///
        /// - Throws: ``ServerError`` `.listen` naming the fix.
        public func checkExposure() throws(ServerError) {
            guard tokenFile == nil && !insecure && !TaskPodServer.isLoopback(host) else { return }
            throw ServerError(
                .listen,
                "--listen \(host) is not a loopback address, and without --api-token-file anyone who reaches it "
                    + "could run Pods: give --api-token-file FILE (one token per line), or --api-insecure to serve "
                    + "without authentication"
            )
        }

        /// Parses `HOST:PORT` (`[::1]:8080` for IPv6).
        ///
        /// - Throws: ``ServerError`` `.listen` naming the expected form.
        public static func parseListen(_ text: String) throws(ServerError) -> (host: String, port: Int) {
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
                  (0...65535).contains(port)
            else {
                throw ServerError(.listen, "--listen \(text): write HOST:PORT, e.g. 127.0.0.1:8080 or 0.0.0.0:8080")
            }
            var host = String(text[..<colon])
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else {
                throw ServerError(.listen, "--listen \(text): name the address, e.g. 127.0.0.1:\(port)")
            }
            return (host, port)
        }
    }

    let configuration: Configuration
    let store: TaskStore
    let builder: PodBuilder
    let logger: Logger
    let tokens: BearerTokens?
    let tasksArrived: @Sendable () -> Void
    let cancelRequested: @Sendable (Int64) -> Void
    let probes: Probes?
    private let tls: TLSConfiguration?
    private let boundPort = Mutex<Int?>(nil)
    private let listening = AsyncStream<Int>.makeStream(bufferingPolicy: .bufferingNewest(1))

    /// - Parameters:
    ///   - builder: The controller's Pod builder: submissions are checked against its template and defaults.
    ///   - tasksArrived: Called after tasks were stored, so that an in-process controller claims them at once.
    ///   - cancelRequested: Called with a task's id after its cancel was requested, so that an in-process controller
    ///     stops its Pod at once.
    ///   - probes: What `/healthz`, `/readyz` and `/metrics` answer; without it they say `ok` and count tasks by state.
    /// - Throws: ``ServerError`` for a non-loopback address without a token file (unless `insecure`), a token file
    ///   that cannot be read, or TLS files that cannot be used.
    public init(
        configuration: Configuration, store: TaskStore, builder: PodBuilder, logger: Logger,
        tasksArrived: @escaping @Sendable () -> Void = {}, cancelRequested: @escaping @Sendable (Int64) -> Void = { _ in },
        probes: Probes? = nil
    ) throws(ServerError) {
        try configuration.checkExposure()
        self.configuration = configuration
        self.store = store
        self.builder = builder
        self.logger = logger
        self.tasksArrived = tasksArrived
        self.cancelRequested = cancelRequested
        self.probes = probes
        self.tokens = try configuration.tokenFile.map { path throws(ServerError) in try BearerTokens(path: path) }
        self.tls = try Self.loadTLS(certificate: configuration.tlsCertificate, key: configuration.tlsKey)
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    private static func loadTLS(certificate: String?, key: String?) throws(ServerError) -> TLSConfiguration? {
        switch (certificate, key) {
        case (nil, nil):
            return nil
        case (let certificate?, let key?):
            do {
                let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
                let privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
                var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(privateKey))
                tls.applicationProtocols = ["http/1.1"]
                return tls
            } catch {
                throw ServerError(.tls, "--tls-cert \(certificate) / --tls-key \(key) cannot be used: \(error)")
            }
        default:
            throw ServerError(.tls, "give both --tls-cert and --tls-key, or neither")
        }
    }

    /// The port the server listens on, once it does.
    public var port: Int? { boundPort.withLock { $0 } }

    /// Waits until the server listens and returns its port.
    public func waitUntilListening() async -> Int? {
        if let port { return port }
        for await port in listening.stream { return port }
        return port
    }

    /// Serves until the task is cancelled or a graceful shutdown begins.
    public func run() async throws {
        let router = makeRouter()
        let address = ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port), serverName: "taskpod"
        )
        let onRunning: @Sendable (any Channel) async -> Void = { channel in
            let port = channel.localAddress?.port ?? self.configuration.port
            self.boundPort.withLock { $0 = port }
            self.listening.continuation.yield(port)
            self.logger.info("API listening", metadata: ["api.host": "\(self.configuration.host)", "api.port": "\(port)"])
        }
        if let tls {
            let application = Application(
                router: router, server: try .tls(.http1(), tlsConfiguration: tls), configuration: address,
                onServerRunning: onRunning, logger: logger
            )
            try await application.run()
        } else {
            let application = Application(
                router: router, server: .http1(), configuration: address, onServerRunning: onRunning, logger: logger
            )
            try await application.run()
        }
    }
}
