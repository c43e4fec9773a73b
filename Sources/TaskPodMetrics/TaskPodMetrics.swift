import KubeClient
import Metrics
import Prometheus
import TaskPod

/// The process's metrics: one Prometheus registry, the swift-metrics factory over it that the libraries emit
/// through, and the text the server's `GET /metrics` answers.
///
/// The process makes one and bootstraps swift-metrics with it once (``bootstrap()``), before it makes the
/// ``KubeClient`` and the ``Controller``; tests make their own and hand its ``factory`` to the libraries
/// instead, since `MetricsSystem.bootstrap` may run only once per process.
///
/// ```swift
/// let metrics = TaskPodMetrics()
/// metrics.bootstrap()                       // the process's one bootstrap
/// let client = KubeClient(config: config, logger: logger, meters: metrics.clientMeters)
/// let controller = try Controller(configuration: configuration, store: store, client: client, logger: logger,
///                                 meters: metrics.controllerMeters)
/// router.get("/metrics") { _, _ in metrics.exposition() }   // text/plain; version=0.0.4
/// ```
public struct TaskPodMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let factory: PrometheusMetricsFactory

    /// The content type of ``exposition()``.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// - Parameter registry: where the figures are kept; a fresh one by default (not the Prometheus package's shared
    ///   default registry, so two of these never mix).
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = TaskPodMetrics.buckets
        self.factory = factory
    }

    /// Histogram buckets: API requests from milliseconds; launch and completion latencies up to minutes (a launch
    /// waits for a free slot and the API's rate limit, a completion for the log capture).
    static let buckets: [String: [Duration]] = [
        KubeClientMeters.requestDuration: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30].map(seconds),
        "taskpod_launch_latency_seconds": [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600].map(seconds),
        "taskpod_completion_latency_seconds": [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120].map(seconds),
    ]

    static func seconds(_ value: Double) -> Duration { .milliseconds(Int64(value * 1000)) }

    /// Makes this registry the process's swift-metrics backend. Call it once per process (swift-metrics traps on a
    /// second bootstrap).
    public func bootstrap() {
        MetricsSystem.bootstrap(factory)
    }

    /// The meters for a ``KubeClient``, emitting into this registry whether or not it was bootstrapped.
    public var clientMeters: KubeClientMeters { KubeClientMeters(factory: factory) }

    /// The meters for a ``Controller``, emitting into this registry whether or not it was bootstrapped.
    public var controllerMeters: ControllerMeters { ControllerMeters(factory: factory) }

    /// Every figure in the Prometheus text exposition format (0.0.4), for `GET /metrics`.
    public func exposition() -> String {
        registry.emitToString()
    }
}
