import TaskPod
import TaskPodMetrics
import TaskPodServer

extension TaskPodServer.Probes {
    /// `/healthz` and `/readyz` from the controller's health, `/metrics` from the process's Prometheus registry: what
    /// `taskpod controller` and `taskpod demo` serve.
    init(health: ControllerHealth, metrics: TaskPodMetrics) {
        self.init(
            liveness: { health.liveness() }, readiness: { await health.readiness() }, metrics: { metrics.exposition() },
            metricsContentType: TaskPodMetrics.contentType)
    }
}
