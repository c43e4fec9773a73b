import Logging
import ServiceLifecycle

/// What the informer tells its handler.
public enum InformerEvent: Sendable {
    /// A Pod appeared (or was seen for the first time after a relist).
    case added(Pod)
    /// A Pod changed.
    case updated(old: Pod, new: Pod)
    /// A Pod is gone, with the last state seen; also for Pods deleted while the watch was down.
    case deleted(Pod)
    /// The cache holds the server's whole state (after each list).
    case synced
}

/// Keeps a cache of the Pods that match a selector: paginated LIST, then WATCH from the list's
/// resourceVersion with bookmarks; rewatch when the stream ends; relist on 410 Gone and hand out the
/// differences, deletions included.
///
/// Events go to `handler` one at a time, in order: the informer waits for it, so a slow handler slows the
/// watch (libcurl pauses) instead of growing a buffer.
public final class PodInformer: Service, Sendable {
    public struct Configuration: Sendable {
        /// A namespace, or nil for all namespaces.
        public var namespace: String?
        public var labelSelector: String?
        public var fieldSelector: String?
        public var pageSize: Int = 500
        public var watchTimeoutSeconds: Int = 300
        public var initialBackoff: Duration = .milliseconds(200)
        public var maxBackoff: Duration = .seconds(10)
        /// Called whenever the informer moves: a list done, a watch started, an event handled, a backoff after a
        /// failure (a liveness probe's sign of life: a healthy informer calls it at least once per
        /// `watchTimeoutSeconds`; an unreachable API server is not a hung informer).
        public var onProgress: (@Sendable () -> Void)?
        /// Applied to every Pod received (listed or watched) before it is cached and handed out; nil keeps whole Pods.
        /// The cache then holds only what the handler reads (``Pod/keeping(labels:annotations:)``).
        public var transform: InformerCache.Transform?

        public init(namespace: String?, labelSelector: String? = nil, fieldSelector: String? = nil) {
            self.namespace = namespace
            self.labelSelector = labelSelector
            self.fieldSelector = fieldSelector
        }
    }

    let client: KubeClient
    let configuration: Configuration
    let logger: Logger
    let handler: @Sendable (InformerEvent) async -> Void

    public init(client: KubeClient, configuration: Configuration, logger: Logger,
                handler: @escaping @Sendable (InformerEvent) async -> Void) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
        self.handler = handler
    }

    public func run() async throws {
        var machine = InformerStateMachine()
        var cache = InformerCache(transform: configuration.transform)
        var action = machine.start()
        var listed = false
        while !Task.isCancelled {
            switch action {
            case .list:
                if listed { client.meters.relisted() }
                listed = true
                do {
                    let list = try await client.listAllPods(
                        namespace: configuration.namespace, labelSelector: configuration.labelSelector,
                        fieldSelector: configuration.fieldSelector, pageSize: configuration.pageSize,
                        transform: configuration.transform
                    )
                    for event in cache.replace(with: list.items, transformed: true) { await handler(event) }
                    await handler(.synced)
                    configuration.onProgress?()
                    action = machine.listed(resourceVersion: list.metadata.resourceVersion ?? "0")
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("pod list failed", metadata: ["error": "\(error)"])
                    action = machine.failed()
                }
            case .watch(let from):
                action = await watch(from: from, machine: &machine, cache: &cache)
            case .backOff(let attempt):
                var delay = configuration.initialBackoff
                for _ in 1..<attempt { delay = min(delay * 2, configuration.maxBackoff) }
                do {
                    try await Task.sleep(for: KubeClient.jittered(delay))
                } catch {
                    return
                }
                configuration.onProgress?()
                action = machine.backoffElapsed()
            }
        }
    }

    private func watch(from: String, machine: inout InformerStateMachine, cache: inout InformerCache) async -> InformerStateMachine.Action {
        do {
            let stream = try await client.watchPods(
                namespace: configuration.namespace, labelSelector: configuration.labelSelector,
                fieldSelector: configuration.fieldSelector, resourceVersion: from,
                timeoutSeconds: configuration.watchTimeoutSeconds, allowBookmarks: true
            )
            machine.watchStarted()
            configuration.onProgress?()
            for try await event in stream {
                client.meters.watchEvent(event.type.rawValue)
                configuration.onProgress?()
                switch event {
                case .added(let pod), .modified(let pod), .deleted(let pod):
                    let resourceVersion = pod.metadata.resourceVersion
                    if let change = cache.apply(event) { await handler(change) }
                    machine.observed(resourceVersion: resourceVersion)
                case .bookmark(let resourceVersion):
                    machine.observed(resourceVersion: resourceVersion)
                case .error(let status):
                    if status.code == 410 {
                        logger.info("watch expired; relisting", metadata: ["k8s.message": "\(status.message ?? "")"])
                        return machine.expired()
                    }
                    logger.warning("watch error event", metadata: ["k8s.message": "\(status.message ?? "")"])
                    return machine.failed()
                }
            }
            return machine.watchEnded()
        } catch let error as KubeError where error.code == .expired {
            logger.info("watch expired; relisting", metadata: ["k8s.message": "\(error.message)"])
            return machine.expired()
        } catch is CancellationError {
            return machine.failed()
        } catch {
            if Task.isCancelled { return machine.failed() }
            logger.warning("pod watch failed", metadata: ["error": "\(error)"])
            return machine.failed()
        }
    }
}
