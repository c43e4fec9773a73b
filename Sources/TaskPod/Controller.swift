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
    /// How this controller renders Pods (its template and defaults): what submissions are checked against.
    public let builder: PodBuilder
    let cache = PodCache()
    let queue = WorkQueue<Int64>()
    let launches = LaunchCounter()
    let followed = FollowedLogs()
    let logGate = TaskLogGate()
    let followRequests = WorkQueue<FollowRequest>()
    /// Closed when a graceful stop begins.
    let stopping = Doorbell()
    /// Rung when another process changed the store in a way the store cannot name (SQLite): cancel requests are
    /// looked for.
    let cancelCheckBell = Doorbell()
    /// Rung when queued tasks may be waiting: the launcher claims at once instead of at its next poll.
    let launcherBell = Doorbell()
    /// Bounds the logs followed at once (`maxFollowedLogs`).
    let followers: AsyncSemaphore
    /// Where the controller's figures go (docs/metrics.md).
    let meters: ControllerMeters
    /// Which loops are busy, and since when: ``health()`` reads it.
    let liveness = LivenessRegistry()

    /// - Parameter meters: where the figures go; by default the process's bootstrapped metrics factory. The
    ///   controller counts the transitions `store` records (``TaskStore/observeTransitions(_:)``).
    /// - Throws: ``ConfigurationError`` for settings that cannot work; ``PodBuildError`` when the configured
    ///   `pod_template_file` cannot be used.
    public init(
        configuration: ControllerConfiguration, store: TaskStore, client: KubeClient, logger: Logger,
        meters: ControllerMeters = ControllerMeters()
    ) throws {
        try configuration.validate()
        self.meters = meters
        let launcherBell = self.launcherBell
        store.observeTransitions { transition in
            meters.transitioned(transition)
            // A task that ended frees a slot: the launcher claims the next queued task at once.
            if transition.to.isFinal { launcherBell.ring() }
        }
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

    /// Says that tasks were just stored (by the HTTP API in this process): the launcher claims at once.
    public func tasksArrived() { launcherBell.ring() }

    /// Says that a cancel of task `id` was just requested (by the HTTP API in this process): the task is reconciled at
    /// once, which deletes its Pod, instead of at the next resync.
    public func cancelRequested(id: Int64) { queue.add(id) }

    /// The label selector of this controller's live Pods.
    public var podSelector: String {
        "airflow-worker=\(PodNaming.safeLabelValue(configuration.controllerID)),\(PodBuilder.doneLabel)!=True"
    }

    /// Runs until its task is cancelled or a graceful shutdown (SIGTERM through a `ServiceGroup`) is asked for.
    ///
    /// A graceful shutdown stops claiming, watching, following logs and adopting at once, lets the Pod creates and
    /// reconciles in progress finish (each records its step in the store) for at most
    /// ``ControllerConfiguration/shutdownGracePeriod``, cancels what is still running after that, records this
    /// controller's stop and returns. Pods keep running; the next controller picks them up.
    public func run() async throws {
        logger.info("controller starting", metadata: [
            "controller.id": "\(configuration.controllerID)", "k8s.server": "\(client.config.server)",
            "parallelism": "\(configuration.parallelism)",
        ])
        try await store.registerController(id: configuration.controllerID, host: ProcessInfo.processInfo.hostName)
        let grace = configuration.shutdownGracePeriod
        meters.leading(true)
        defer { meters.leading(false) }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    await self.runLoops()
                    return true
                }
                group.addTask {
                    // The deadline: once stopping began, the calls in flight get `grace` to finish.
                    await self.stopping.wait()
                    try? await Task.sleep(for: grace)
                    return false
                }
                if await group.next() == false, !Task.isCancelled {
                    logger.warning("calls in flight did not finish within the shutdown grace period; cancelling them", metadata: [
                        "shutdown.grace": "\(grace)",
                    ])
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.stop()
        }
        do {
            try await recordStop()
            logger.info("controller stopped; Pods keep running and are adopted by the next controller")
        } catch {
            logger.warning("controller stopped, but its stop could not be recorded; peers adopt its Pods once its heartbeat lapses", metadata: [
                "error": "\(error)",
            ])
        }
    }

    /// Records the stop in the store, so peers adopt this controller's Pods at once. Not tied to the run's task: it
    /// must happen even when the service was cancelled; a busy store gets three tries 200 ms apart.
    private func recordStop() async throws {
        let store = self.store, id = configuration.controllerID
        try await Task.detached {
            var attempt = 1
            while true {
                do {
                    return try await store.markStopped(id: id)
                } catch where attempt < 3 {
                    attempt += 1
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
        }.value
    }

    /// Begins a graceful stop: no new claims, watches, follows or adoptions; the work in progress finishes.
    func stop() {
        stopping.close()
        queue.shutdown()
        followRequests.shutdown()
    }

    /// Every loop of the controller, as children of one task group. The loops that only start new work end as soon
    /// as the controller stops; the workers and the launcher finish what they are doing first.
    func runLoops() async {
        let namespaces = watchedNamespaces
        cache.unsync()
        registerLoops(informers: namespaces.count)
        defer { liveness.allIdle() }
        let informers = namespaces.enumerated().map { index, namespace in
            var informerConfiguration = PodInformer.Configuration(namespace: namespace, labelSelector: podSelector)
            let liveness = self.liveness, loop = "informer-\(index)"
            informerConfiguration.onProgress = { liveness.busy(loop) }
            informerConfiguration.transform = Controller.cachedView
            return PodInformer(client: client, configuration: informerConfiguration, logger: logger) { [self] event in
                await self.handle(event, informer: index, of: namespaces.count)
            }
        }
        await withDiscardingTaskGroup { group in
            for informer in informers {
                group.addTask { await self.untilStopping { try? await informer.run() } }
            }
            group.addTask { await self.untilStopping { await self.resyncLoop() } }
            group.addTask { await self.untilStopping { await self.heartbeatLoop() } }
            group.addTask { await self.untilStopping { await self.adoptionLoop() } }
            group.addTask { await self.untilStopping { await self.followLoop() } }
            group.addTask { await self.untilStopping { await self.storeChangeLoop() } }
            group.addTask { await self.untilStopping { await self.cancelCheckLoop() } }
            group.addTask { await self.launchLoop() }
            for index in 0..<max(1, self.configuration.workers) {
                group.addTask { await self.workLoop(index) }
            }
        }
    }

    /// Runs `body` until it returns or the controller begins to stop, whichever comes first; then cancels it.
    func untilStopping(_ body: @escaping @Sendable () async -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await body() }
            group.addTask { await self.stopping.wait() }
            await group.next()
            group.cancelAll()
        }
    }

    // MARK: informer events

    func handle(_ event: InformerEvent, informer: Int = 0, of informers: Int = 1) async {
        switch event {
        case .added(let pod), .updated(_, let pod):
            cache.upsert(pod)
            if let id = Controller.taskID(of: pod) { queue.add(id) }
        case .deleted(let pod):
            cache.remove(pod)
            if let id = Controller.taskID(of: pod) { queue.add(id) }
        case .synced:
            cache.markSynced(informer: informer, of: informers)
        }
    }

    /// What the cache keeps of each Pod: what the reconcile, the lifecycle and the log capture read (the task id and
    /// log-containers annotations, the done label, container names, phase and container states), so that 10,000
    /// live Pods do not cost 10,000 whole Pods.
    public static let cachedView: InformerCache.Transform = {
        $0.keeping(labels: [PodBuilder.doneLabel], annotations: [PodBuilder.taskIDAnnotation, PodBuilder.logContainersAnnotation])
    }

    static func taskID(of pod: Pod) -> Int64? {
        pod.metadata.annotations?[PodBuilder.taskIDAnnotation].flatMap { Int64($0) }
    }

    // MARK: loops

    /// Reconciles the tasks the queue hands out, until the queue is shut down (a stop) or the task is cancelled. A
    /// reconcile in progress when the controller stops runs to its end.
    func workLoop(_ index: Int = 0) async {
        let loop = "worker-\(index)"
        while let id = await queue.next() {
            await liveness.step(loop) {
                do {
                    try await reconcile(id: id)
                } catch {
                    logger.warning("reconcile failed; will retry", metadata: ["task.id": "\(id)", "error": "\(error)"])
                }
            }
            queue.done(id)
        }
    }

    /// Re-examines every live task now and then: timeouts, cancel requests, Pods lost while nobody watched.
    func resyncLoop() async {
        while !Task.isCancelled {
            liveness.busy("resync")
            do {
                for task in try await store.tasks(in: [.launched, .running]) where task.controllerID == configuration.controllerID {
                    queue.add(task.id)
                }
                for pod in cache.allPods {
                    if let id = Controller.taskID(of: pod) { queue.add(id) }
                }
                try await failStuckQueued()
                cache.expireDeleted()
                followed.expire()
                FreeMemory.release()
                meters.recordCounts(try await store.counts())
            } catch is CancellationError {
                return
            } catch {
                logger.warning("resync failed", metadata: ["error": "\(error)"])
            }
            liveness.idle("resync")
            do {
                try await Task.sleep(for: configuration.resyncInterval)
            } catch {
                return
            }
        }
    }
}

/// How many creates are in flight (claimed, not yet recorded as launched).
final class LaunchCounter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func add(_ delta: Int) { count.withLock { $0 += delta } }
}
