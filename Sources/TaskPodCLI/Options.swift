import ArgumentParser
import Foundation
import JSON
import KubeClient
import Logging
import TaskPod
import TaskPodServer
import TaskStore
import YAML

/// `--db`: where tasks are stored.
struct StoreOptions: ParsableArguments {
    // The default is resolved when used, not shown: $TASKPOD_DB may hold a password, and --help prints defaults.
    @Option(name: .long, help: ArgumentHelp(
        "The task store: a SQLite file path (sqlite:///path also works) or a database URL (default: $TASKPOD_DB, else "
            + "taskpod.sqlite).",
        valueName: "path-or-url"))
    var db: String?

    /// `--db`, else `$TASKPOD_DB`, else `taskpod.sqlite`.
    var location: String { db ?? ProcessInfo.processInfo.environment["TASKPOD_DB"] ?? "taskpod.sqlite" }

    func open(logger: Logger, runner: TaskStore.PoolRunner = .owned) async throws -> TaskStore {
        try await TaskStore.open(location, logger: logger, runner: runner)
    }
}

/// `--kubeconfig` / `--context` / `--in-cluster`.
struct KubeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).", valueName: "file"))
    var kubeconfig: String?

    @Option(help: "The kubeconfig context (default: its current-context).")
    var context: String?

    @Flag(help: "Use the Pod's service account (in-cluster configuration) instead of a kubeconfig.")
    var inCluster = false

    func load() throws -> KubeConfig {
        if inCluster { return try KubeConfig.inCluster() }
        return try KubeConfig.load(path: kubeconfig, context: context)
    }
}

/// The task key and spec flags shared by `submit` and `render`.
struct TaskOptions: ParsableArguments {
    @Option(name: .customLong("dag"), help: "The DAG id.")
    var dagID: String

    @Option(name: .customLong("task"), help: "The task id.")
    var taskID: String

    @Option(name: .customLong("run"), help: "The DAG run id.")
    var runID: String

    @Option(help: "The map index of a mapped task (-1: not mapped).")
    var mapIndex: Int = -1

    @Option(name: .customLong("try"), help: "The try number, from 1.")
    var tryNumber: Int = 1

    @Option(help: "The image of the base container (default: the template's, else the controller's).")
    var image: String?

    @Option(help: "The namespace of the task's Pod (default: the controller's).")
    var namespace: String?

    @Option(help: ArgumentHelp("A partial Pod (JSON or YAML) merged over the generated one, as `kubectl patch --type strategic`.", valueName: "file"))
    var override: String?

    @Option(name: .customLong("pod-template"), help: ArgumentHelp(
        "The task's own base Pod (a per-task pod_template_file, YAML); replaces the controller's template.", valueName: "file"))
    var podTemplate: String?

    @Option(name: .customLong("env"), help: ArgumentHelp("An environment variable of the base container (repeatable).", valueName: "NAME=VALUE"))
    var env: [String] = []

    @Argument(parsing: .postTerminator, help: "The task's command and its arguments, after --.")
    var command: [String] = []

    func validate() throws {
        for (name, value) in [("--dag", dagID), ("--task", taskID), ("--run", runID)] where value.isEmpty {
            throw ValidationError("\(name) must not be empty")
        }
        guard mapIndex >= -1 else { throw ValidationError("--map-index must be -1 (not mapped) or a non-negative index, not \(mapIndex)") }
        guard tryNumber >= 1 else { throw ValidationError("--try counts from 1, not \(tryNumber)") }
        for entry in env where !entry.contains("=") || entry.hasPrefix("=") {
            throw ValidationError("--env \(entry): write NAME=VALUE")
        }
    }

    var key: TaskKey {
        TaskKey(dagID: dagID, taskID: taskID, runID: runID, mapIndex: mapIndex, tryNumber: tryNumber)
    }

    func spec() throws -> TaskSpec {
        var environment: [String: String] = [:]
        for entry in env {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            environment[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        let template: JSONValue?
        do {
            template = try podTemplate.map(PodBuilder.loadTemplate(path:))
        } catch let error as PodBuildError {
            throw ValidationError("--pod-template \(podTemplate ?? ""): \(error)")
        }
        return TaskSpec(
            command: command, image: image, namespace: namespace, podOverride: try loadOverride(), podTemplate: template,
            env: environment
        )
    }

    func loadOverride() throws -> JSONValue? {
        guard let override else { return nil }
        guard let data = FileManager.default.contents(atPath: override) else {
            throw ValidationError("--override \(override): cannot read the file")
        }
        let value: JSONValue
        do {
            value = try YAML.parse(String(decoding: data, as: UTF8.self))
        } catch {
            throw ValidationError("--override \(override) is neither JSON nor YAML: \(error)")
        }
        guard case .object = value else {
            throw ValidationError("--override \(override) must hold a partial Pod (an object), not a \(value.kindName)")
        }
        return value
    }
}

/// `--listen` and the API server's settings of `taskpod controller`.
struct APIServerOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Serve the HTTP API (docs/api.md) on this address, e.g. 127.0.0.1:8080 (default: no API).", valueName: "host:port"))
    var listen: String?

    @Option(help: ArgumentHelp(
        "The API's bearer tokens, one per line; re-read when the file changes. Required off loopback.", valueName: "file"))
    var apiTokenFile: String?

    @Flag(help: "Serve the API on a non-loopback address without a token file: anyone who reaches it can run Pods.")
    var apiInsecure = false

    @Option(help: ArgumentHelp("The API's TLS certificate chain (PEM); plain HTTP without it.", valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("The API's TLS private key (PEM).", valueName: "file"))
    var tlsKey: String?

    /// The flags given, by setting key (the config file and `TASKPOD_*` variables may set the same keys).
    var givenSettings: [String: SettingValue] {
        var given = GivenSettings()
        given["listen"] = listen
        given["api_token_file"] = apiTokenFile
        given["api_insecure"] = apiInsecure ? true : nil
        given["tls_cert"] = tlsCert
        given["tls_key"] = tlsKey
        return given.values
    }

    /// Refuses API settings that cannot work, before anything starts (see ``server(settings:store:controller:probes:logger:)``).
    static func check(_ settings: TaskPodSettings) throws {
        guard let listen = settings.listen else {
            if settings.apiTokenFile != nil || settings.apiInsecure || settings.tlsCert != nil || settings.tlsKey != nil {
                throw ValidationError("--api-token-file, --api-insecure, --tls-cert and --tls-key (api_token_file, "
                    + "api_insecure, tls_cert, tls_key) need --listen HOST:PORT (listen)")
            }
            return
        }
        do {
            let (host, port) = try TaskPodServer.Configuration.parseListen(listen)
            try TaskPodServer.Configuration(host: host, port: port, tokenFile: settings.apiTokenFile, insecure: settings.apiInsecure)
                .checkExposure()
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// The API server for `controller`, or nil when no `listen` address is set (by flag, variable or file).
    ///
    /// - Throws: `ValidationError` naming the problem: a bad address, API settings without `listen`, a
    ///   non-loopback address without a token file or `api_insecure`, half a TLS pair.
    static func server(
        settings: TaskPodSettings, store: TaskStore, controller: Controller, probes: TaskPodServer.Probes, logger: Logger
    ) throws -> TaskPodServer? {
        try check(settings)
        guard let listen = settings.listen else { return nil }
        do {
            let (host, port) = try TaskPodServer.Configuration.parseListen(listen)
            let configuration = TaskPodServer.Configuration(
                host: host, port: port, tokenFile: settings.apiTokenFile, insecure: settings.apiInsecure,
                tlsCertificate: settings.tlsCert, tlsKey: settings.tlsKey
            )
            return try TaskPodServer(
                configuration: configuration, store: store, builder: controller.builder, logger: logger,
                tasksArrived: controller.tasksArrived,
                cancelRequested: controller.cancelRequested(id:), probes: probes
            )
        } catch {
            throw ValidationError(error.message)
        }
    }
}
