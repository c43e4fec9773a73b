import ArgumentParser
import CLISupport
import Foundation
import KubeClient
import Logging
import ServiceLifecycle
import UnixSignals
import TaskPod
import TaskPodMetrics
import TaskPodServer
import TaskStore

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

    @Option(help: ArgumentHelp("A configuration file (YAML; taskpod config defaults prints one); TASKPOD_* variables "
        + "and flags win over it.", valueName: "file"))
    var config: String?

    @Flag(inversion: .prefixedNo, help: ArgumentHelp(TaskPodSettings.flagHelp("leader_elect")))
    var leaderElect: Bool?

    @Option(help: ArgumentHelp(TaskPodSettings.flagHelp("lease_name")))
    var leaseName: String?

    @Option(help: ArgumentHelp(TaskPodSettings.flagHelp("lease_namespace")))
    var leaseNamespace: String?

    @Option(help: ArgumentHelp(TaskPodSettings.flagHelp("lease_duration"), valueName: "seconds"))
    var leaseDuration: Int?

    @Option(help: ArgumentHelp(TaskPodSettings.flagHelp("qps")))
    var qps: Double?

    @Option(help: ArgumentHelp(TaskPodSettings.flagHelp("burst")))
    var burst: Int?

    func run() async throws {
        let (settings, warnings) = try loadSettings()
        try APIServerOptions.check(settings)
        let logger = log.bootstrap(level: settings.logLevel, format: settings.logFormat)
        for warning in warnings { logger.warning("\(warning)") }
        // Before the client and the controller are made: their meters come from the bootstrapped factory.
        let metrics = TaskPodMetrics()
        metrics.bootstrap()
        let kubeConfig = try settings.kubeConfig()
        let client = KubeClient(config: kubeConfig, logger: logger, pacing: Pacing(qps: settings.qps, burst: settings.burst))
        // The store is a service of the group, listed first: the group stops services in reverse order, so the
        // store (a PostgreSQL pool) stops after the controller finished its calls in flight.
        let taskStore = try await TaskStore.open(settings.db, logger: logger, runner: .service)
        let configuration = settings.configuration(defaultNamespace: kubeConfig.namespace)
        let controller = try Controller(configuration: configuration, store: taskStore, client: client, logger: logger)
        let service: any Service
        var elector: LeaderElector?
        if settings.leaderElect {
            let leaseDuration = settings.leaseDuration
            let timing = LeaderElection.Timing(
                leaseDuration: .seconds(leaseDuration), renewDeadline: .seconds(max(2, leaseDuration * 2 / 3)),
                retryPeriod: .seconds(max(1, leaseDuration / 7))
            )
            let leaderElector = LeaderElector(
                client: client, name: settings.leaseName, namespace: settings.leaseNamespace ?? configuration.namespace,
                identity: configuration.controllerID, timing: timing, logger: logger
            )
            service = LeaderElectedController(controller: controller, elector: leaderElector)
            elector = leaderElector
        } else {
            service = controller
        }
        // The API server last: it stops first, before the controller and the store it uses.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: taskStore), .init(service: service)]
        let health = ControllerHealth(controller: controller, store: taskStore, elector: elector)
        let probes = TaskPodServer.Probes(health: health, metrics: metrics)
        if let server = try APIServerOptions.server(
            settings: settings, store: taskStore, controller: controller, probes: probes, logger: logger
        ) {
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
