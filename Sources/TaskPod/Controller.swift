import Foundation
import JSON
import KubeClient
import Logging
import ServiceLifecycle
import Synchronization
import TaskStore

/// The taskpod controller: claims queued tasks, creates their Pods, follows the Pods with an informer,
/// maps their phases to task states, stores their logs, and cleans them up.
///
/// Everything it knows lives in the store and in Kubernetes, so a restarted controller picks up where its
/// predecessor stopped: tasks it had claimed are claimed again and their deterministic Pod names make a
/// second create answer 409, which is adoption, not a second Pod.
///
/// ```swift
/// let controller = Controller(configuration: config, store: store, client: client, logger: logger)
/// try await ServiceGroup(services: [controller], logger: logger).run()
/// ```
public final class Controller: Service, Sendable {
    public let configuration: ControllerConfiguration
    let store: TaskStore
    let client: KubeClient
    let logger: Logger
    let builder: PodBuilder
    let cache = PodCache()
    let queue = WorkQueue<Int64>()
    let launches = LaunchCounter()
    let followed = FollowedLogs()
    let logGate = TaskLogGate()
    let followRequests = WorkQueue<FollowRequest>()
    /// Bounds the logs followed at once (`maxFollowedLogs`).
    let followers: AsyncSemaphore

    /// - Throws: ``ConfigurationError`` for settings that cannot work; ``PodBuildError`` when the configured
    ///   `pod_template_file` cannot be used.
    public init(configuration: ControllerConfiguration, store: TaskStore, client: KubeClient, logger: Logger) throws {
        try configuration.validate()
        self.configuration = configuration
        self.followers = AsyncSemaphore(max(1, configuration.maxFollowedLogs))
        self.store = store
        self.client = client
        self.logger = logger
        let template = try configuration.podTemplateFile.map(PodBuilder.loadTemplate(path:)) ?? PodBuilder.defaultTemplate
        self.builder = PodBuilder(
            template: template, defaultNamespace: configuration.namespace, defaultImage: configuration.image,
            controllerID: configuration.controllerID
        )
    }

    /// The label selector of this controller's live Pods.
    public var podSelector: String {
        "airflow-worker=\(PodNaming.safeLabelValue(configuration.controllerID)),\(PodBuilder.doneLabel)!=True"
    }

    public func run() async throws {
        logger.info("controller starting", metadata: [
            "controller.id": "\(configuration.controllerID)", "k8s.server": "\(client.config.server)",
            "parallelism": "\(configuration.parallelism)",
        ])
        try await store.registerController(id: configuration.controllerID, host: ProcessInfo.processInfo.hostName)
        let namespaces = watchedNamespaces
        let informers = namespaces.enumerated().map { index, namespace in
            PodInformer(
                client: client,
                configuration: PodInformer.Configuration(namespace: namespace, labelSelector: podSelector),
                logger: logger
            ) { [self] event in await self.handle(event, informer: index, of: namespaces.count) }
        }

        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for informer in informers {
                    group.addTask { try? await informer.run() }
                }
                group.addTask { await self.launchLoop() }
                group.addTask { await self.resyncLoop() }
                group.addTask { await self.heartbeatLoop() }
                group.addTask { await self.adoptionLoop() }
                group.addTask { await self.followLoop() }
                for _ in 0..<max(1, self.configuration.workers) {
                    group.addTask { await self.workLoop() }
                }
                group.addTask {
                    // Wake the workers when the group is cancelled.
                    try? await Task.sleep(for: .seconds(1_000_000_000))
                    await self.queue.shutdown()
                    await self.followRequests.shutdown()
                }
            }
        }
        // Record the stop outside the cancelled scope so the write is not cancelled with it.
        let store = self.store
        let id = configuration.controllerID
        try? await Task { try await store.markStopped(id: id) }.value
        logger.info("controller stopped; Pods keep running and are adopted by the next controller")
    }

    // MARK: informer events

    func handle(_ event: InformerEvent, informer: Int = 0, of informers: Int = 1) async {
        switch event {
        case .added(let pod), .updated(_, let pod):
            cache.upsert(pod)
            if let id = Controller.taskID(of: pod) { await queue.add(id) }
        case .deleted(let pod):
            cache.remove(pod)
            if let id = Controller.taskID(of: pod) { await queue.add(id) }
        case .synced:
            cache.markSynced(informer: informer, of: informers)
        }
    }

    static func taskID(of pod: Pod) -> Int64? {
        pod.metadata.annotations?[PodBuilder.taskIDAnnotation].flatMap { Int64($0) }
    }

    // MARK: loops

    func workLoop() async {
        while let id = await queue.next() {
            do {
                try await reconcile(id: id)
            } catch {
                logger.warning("reconcile failed; will retry", metadata: ["task.id": "\(id)", "error": "\(error)"])
            }
            await queue.done(id)
        }
    }

    /// Re-examines every live task now and then: timeouts, cancel requests, Pods lost while nobody watched.
    func resyncLoop() async {
        while !Task.isCancelled {
            do {
                for task in try await store.tasks(in: [.launched, .running]) where task.controllerID == configuration.controllerID {
                    await queue.add(task.id)
                }
                for pod in cache.allPods {
                    if let id = Controller.taskID(of: pod) { await queue.add(id) }
                }
                try await failStuckQueued()
            } catch {
                logger.warning("resync failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: configuration.resyncInterval)
        }
    }
}

/// How many creates are in flight (claimed, not yet recorded as launched).
final class LaunchCounter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func add(_ delta: Int) { count.withLock { $0 += delta } }
}
