import ArgumentParser
import Foundation
import KubeSim
import Logging
import ServiceLifecycle
import UnixSignals

struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run KubeSim, a small Kubernetes API server double, for tests, benchmarks and trying taskpod.",
        discussion: """
            In exec mode each Pod's base container command really runs as a local process and its output is \
            the Pod's log; in scripted mode annotations (kubesim.taskpod.io/run-seconds, exit-code, log, oom) \
            decide what happens.
            Example:
              taskpod sim --port 6443 --mode exec --write-kubeconfig /tmp/kubesim.yaml
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

    @OptionGroup var log: LogOptions

    func run() async throws {
        let logger = log.bootstrap(label: "kubesim")
        var configuration = KubeSimConfiguration(host: host, port: port, mode: mode.mode)
        configuration.auditLogPath = auditLog
        let sim = KubeSim(configuration: configuration, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: sim)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        ))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let bound = try await sim.waitUntilListening()
            if let writeKubeconfig {
                try await sim.kubeconfig(namespace: namespace).write(toFile: writeKubeconfig, atomically: true, encoding: .utf8)
                logger.info("kubeconfig written", metadata: ["file": "\(writeKubeconfig)"])
            }
            print("KubeSim listening on \(await sim.baseURL) (mode \(mode.rawValue), port \(bound))")
            try await tasks.waitForAll()
        }
    }
}

enum KubeletModeArgument: String, ExpressibleByArgument, CaseIterable {
    case exec, scripted
    var mode: KubeSimConfiguration.KubeletMode { self == .exec ? .exec : .scripted }
}
