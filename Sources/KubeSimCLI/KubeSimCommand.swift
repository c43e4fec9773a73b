import ArgumentParser
import CLISupport
import Foundation
import JSON
import KubeSim
import Logging
import ServiceLifecycle
import UnixSignals

@main
struct KubeSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kubesim",
        abstract: "Run KubeSim, a small Kubernetes API server double, for tests, benchmarks and trying taskpod.",
        discussion: """
            In exec mode each Pod's base container command really runs as a local process and its output is \
            the Pod's log; in scripted mode annotations (kubesim.taskpod.io/run-seconds, exit-code, log, oom, \
            start-seconds, config-error, image-pull-error, unschedulable, evict-after-seconds) decide what happens.
            The simulated scheduler and kubelet record core/v1 Events as real ones do (Scheduled, Pulling, Pulled, \
            Created, Started, Killing, FailedScheduling, Failed, BackOff, Evicted; repeats counted on one Event), \
            so kubectl get events and kubectl describe pod show them; Events expire --event-ttl-seconds after \
            their last write and at most --event-limit are kept.
            With --tls and no --token or --token-file the sim requires client certificates and writes the one it \
            issued into the kubeconfig (like a kind cluster), so kubectl and client libraries use it unchanged; \
            plain HTTP stays anonymous.
            Faults can also be changed while it runs: curl -X POST --data '{"throttle":{"seconds":5}}' \
            <server>/kubesim/faults (GET shows them; /kubesim/audit lists the requests).
            It is a test double: never point a production controller at it.
            Examples:
              kubesim --port 6443 --mode exec --write-kubeconfig /tmp/kubesim.yaml
              kubesim --tls --token s3cret --write-kubeconfig /tmp/kubesim.yaml --write-ca /tmp/kubesim-ca.crt
              kubesim --tls --write-kubeconfig /tmp/kubesim.yaml && kubectl --kubeconfig /tmp/kubesim.yaml get events
              kubesim --error-rate create=0.1:503 --latency-ms 20 --jitter-ms 30 --drop-watches-every 10
              kubesim --tls --rbac rendered.yaml --service-account taskpod/taskpod --write-serviceaccount-dir /tmp/sa
            With --rbac, requests of --service-account tokens are authorized by the stream's Roles and bindings             (403 Forbidden as the API server's, recorded in the audit log); other credentials act as cluster admins.
            """
    )

    @Option(help: "The port to listen on (0: any free port).")
    var port: Int = 0

    @Option(help: "The address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "exec (run the commands) or scripted (follow annotations).")
    var mode: KubeletModeArgument = .scripted

    @Option(help: ArgumentHelp("Write a kubeconfig pointing at the simulator to this file.", valueName: "file"))
    var writeKubeconfig: String?

    @Option(help: ArgumentHelp("Append one JSON line per request to this file.", valueName: "file"))
    var auditLog: String?

    @Option(help: "The namespace written into the kubeconfig.")
    var namespace: String = "default"

    @Option(help: ArgumentHelp(
        "Keep at most this many Events (the least recently written leave first).", valueName: "n"))
    var eventLimit: Int = 10_000

    @Option(help: ArgumentHelp("Keep an Event this long after its last write.", valueName: "seconds"))
    var eventTTLSeconds: Double = 3600

    @OptionGroup var security: SimSecurityOptions
    @OptionGroup var authorization: SimRBACOptions
    @OptionGroup var faults: SimFaultOptions
    @OptionGroup var log: LogOptions

    func run() async throws {
        let logger = log.bootstrap(label: "kubesim")
        var configuration = KubeSimConfiguration(host: host, port: port, mode: mode.mode)
        configuration.auditLogPath = auditLog
        guard eventLimit >= 1 else { throw ValidationError("--event-limit must be at least 1") }
        guard eventTTLSeconds > 0 else { throw ValidationError("--event-ttl-seconds must be positive") }
        configuration.eventLimit = eventLimit
        configuration.eventTTL = .nanoseconds(Int64(eventTTLSeconds * 1e9))
        try security.apply(to: &configuration)
        let accounts = try authorization.accounts()
        try authorization.apply(to: &configuration, accounts: accounts)
        try faults.apply(to: &configuration)
        let sim = KubeSim(configuration: configuration, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: sim)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        ))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let bound = try await sim.waitUntilListening()
            if let writeKubeconfig {
                try await sim.kubeconfig(namespace: namespace, user: security.user)
                    .write(toFile: writeKubeconfig, atomically: true, encoding: .utf8)
                logger.info("kubeconfig written", metadata: ["file": "\(writeKubeconfig)"])
            }
            if let writeCA = security.writeCA, let authority = try await sim.certificateAuthorityPEM() {
                try authority.write(toFile: writeCA, atomically: true, encoding: .utf8)
                logger.info("CA certificate written", metadata: ["file": "\(writeCA)"])
            }
            if let directory = authorization.writeServiceaccountDir, let first = accounts.first,
                let authority = try await sim.certificateAuthorityPEM()
            {
                try SimRBACOptions.writeServiceAccountDirectory(
                    directory, token: first.token, account: first.account, certificateAuthority: authority)
                logger.info("service account folder written", metadata: [
                    "folder": "\(directory)", "service.account": "\(first.account)"])
                FileHandle.standardOutput.write(Data(
                    "KUBERNETES_SERVICE_HOST=\(host) KUBERNETES_SERVICE_PORT=\(bound)\n".utf8))
            }
            // Written unbuffered: scripts wait for this line on a pipe.
            let line = "KubeSim listening on \(await sim.baseURL) (mode \(mode.rawValue), port \(bound))\n"
            FileHandle.standardOutput.write(Data(line.utf8))
            try await tasks.waitForAll()
        }
    }
}

/// HTTPS and authentication flags of `kubesim`.
struct SimSecurityOptions: ParsableArguments {
    @Flag(help: "Serve HTTPS with a throwaway CA made at start (needs the openssl command).")
    var tls = false

    @Flag(inversion: .prefixedNo, help: "With --tls, offer HTTP/2 (ALPN h2) besides HTTP/1.1.")
    var http2 = true

    @Option(name: .customLong("token"), help: ArgumentHelp("Accept this bearer token (repeatable).", valueName: "token"))
    var tokens: [String] = []

    @Option(help: ArgumentHelp(
        "Accept the bearer tokens in this file, one a line; re-read when it changes.", valueName: "file"))
    var tokenFile: String?

    @Flag(help: ArgumentHelp(
        "Accept client certificates signed by the sim's CA (needs --tls); the default with --tls and no --token "
            + "or --token-file."))
    var clientCertificates = false

    @Option(help: "The kubeconfig's user: automatic, anonymous, token, token-file or client-certificate.")
    var kubeconfigUser: KubeconfigUserArgument = .automatic

    @Option(help: ArgumentHelp("With --tls, write the CA certificate (PEM) to this file.", valueName: "file"))
    var writeCA: String?

    func apply(to configuration: inout KubeSimConfiguration) throws {
        configuration.tls = tls
        configuration.http2 = http2
        configuration.authentication = KubeSimAuthentication(
            tokens: Set(tokens), tokenFile: tokenFile, clientCertificates: clientCertificates || issuesCertificate)
        if clientCertificates && !tls {
            throw ValidationError("--client-certificates needs --tls")
        }
        if kubeconfigUser == .token && tokens.isEmpty { throw ValidationError("--kubeconfig-user token needs --token") }
        if kubeconfigUser == .tokenFile && tokenFile == nil {
            throw ValidationError("--kubeconfig-user token-file needs --token-file")
        }
        if kubeconfigUser == .clientCertificate && !tls {
            throw ValidationError("--kubeconfig-user client-certificate needs --tls")
        }
    }

    /// Whether HTTPS without any credential option requires (and the kubeconfig carries) the client certificate
    /// the sim issues, as a kind cluster's kubeconfig does; `--kubeconfig-user anonymous` keeps anonymous access.
    var issuesCertificate: Bool {
        tls && tokens.isEmpty && tokenFile == nil && kubeconfigUser != .anonymous
    }

    /// The kubeconfig's user, as chosen by `--kubeconfig-user`.
    var user: KubeSim.KubeconfigUser {
        switch kubeconfigUser {
        case .automatic: .automatic
        case .anonymous: .anonymous
        case .token: tokens.sorted().first.map { .token($0) } ?? .automatic
        case .tokenFile: tokenFile.map { .tokenFile($0) } ?? .automatic
        case .clientCertificate: .clientCertificate
        }
    }
}

/// Fault injection flags of `kubesim`; `/kubesim/faults` changes the same settings at run time.
struct SimFaultOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Delay every API request this long.", valueName: "ms"))
    var latencyMs: Double = 0

    @Option(help: ArgumentHelp("Delay every API request up to this much more, at random.", valueName: "ms"))
    var jitterMs: Double = 0

    @Option(help: ArgumentHelp(
        "Fail a share of one verb's requests: VERB=RATE:CODE, e.g. create=0.1:503, pods/list=0.5:500, *=0.01:500 "
            + "(repeatable).", valueName: "rule"))
    var errorRate: [String] = []

    @Option(help: ArgumentHelp("Answer every API request 429 for this long from the start.", valueName: "seconds"))
    var throttleSeconds: Double?

    @Option(help: ArgumentHelp("The Retry-After of the 429s.", valueName: "seconds"))
    var retryAfter: Int = 1

    @Option(help: ArgumentHelp("Cut every open watch's connection this often.", valueName: "seconds"))
    var dropWatchesEvery: Double?

    @Option(help: ArgumentHelp(
        "Keep this many change events for watches and continue tokens (older ones get 410).", valueName: "events"))
    var historyWindow: Int?

    @Option(help: ArgumentHelp("Serve continue tokens of superseded snapshots this long.", valueName: "seconds"))
    var continueTTL: Double?

    @Option(help: ArgumentHelp(
        "Faults as the JSON of /kubesim/faults, applied after the flags above.", valueName: "json"))
    var faults: String?

    func apply(to configuration: inout KubeSimConfiguration) throws {
        var faults = KubeSimFaults()
        faults.latency = .nanoseconds(Int64(latencyMs * 1e6))
        faults.jitter = .nanoseconds(Int64(jitterMs * 1e6))
        faults.errors = try errorRate.map { try KubeSimFaults.ErrorRule(parsing: $0) }
        if let throttleSeconds {
            faults.throttle = KubeSimFaults.Throttle(seconds: throttleSeconds, retryAfterSeconds: retryAfter)
        }
        if let dropWatchesEvery, dropWatchesEvery > 0 {
            faults.dropWatchesEvery = .nanoseconds(Int64(dropWatchesEvery * 1e9))
        }
        if let historyWindow {
            guard historyWindow >= 1 else { throw ValidationError("--history-window must be at least 1") }
            configuration.historyWindow = historyWindow
        }
        if let continueTTL { configuration.continueTTL = .nanoseconds(Int64(continueTTL * 1e9)) }
        if let text = self.faults {
            let json: JSONValue
            do {
                json = try JSONValue(parsing: text)
            } catch {
                throw ValidationError("--faults is not JSON: \(error)")
            }
            faults = try KubeSimFaults(json: json, base: faults)
        }
        configuration.faults = faults
    }
}

enum KubeletModeArgument: String, ExpressibleByArgument, CaseIterable {
    case exec, scripted
    var mode: KubeSimConfiguration.KubeletMode { self == .exec ? .exec : .scripted }
}

enum KubeconfigUserArgument: String, ExpressibleByArgument, CaseIterable {
    case automatic, anonymous, token
    case tokenFile = "token-file"
    case clientCertificate = "client-certificate"
}
