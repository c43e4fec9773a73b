import ArgumentParser
import Foundation
import KubeClient
import Logging
import ServiceLifecycle
import UnixSignals
import TaskPod
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

    @Option(help: "At most this many bytes of a Pod's log are kept in the task log.")
    var maxLogBytes: Int = 4 << 20

    func validate() throws {
        guard parallelism >= 1 else { throw ValidationError("--parallelism must be at least 1, not \(parallelism)") }
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
        return configuration
    }
}

struct ControllerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "controller",
        abstract: "Run the controller: claim queued tasks, create their Pods, follow them, store their logs.",
        discussion: "It runs until SIGTERM or SIGINT; Pods keep running and the next controller with the same id adopts them."
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var kube: KubeOptions
    @OptionGroup var options: ControllerOptions
    @OptionGroup var log: LogOptions

    func run() async throws {
        let logger = log.bootstrap()
        let kubeConfig = try kube.load()
        let client = KubeClient(config: kubeConfig, logger: logger)
        let taskStore = try await store.open(logger: logger)
        let controller = try Controller(
            configuration: options.configuration(defaultNamespace: kubeConfig.namespace),
            store: taskStore, client: client, logger: logger
        )
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: controller)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        try await group.run()
        try await taskStore.close()
    }
}
