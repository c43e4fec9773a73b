extension TaskPodServer {
    /// What the unauthenticated endpoints answer: liveness (`/healthz`), readiness (`/readyz`), and the Prometheus
    /// exposition (`/metrics`). `taskpod controller` fills them from `ControllerHealth` and `TaskPodMetrics`.
    public struct Probes: Sendable {
        public var liveness: @Sendable () -> (ok: Bool, body: String)
        public var readiness: @Sendable () async -> (ready: Bool, body: String)
        public var metrics: @Sendable () -> String
        public var metricsContentType: String

        public init(
            liveness: @escaping @Sendable () -> (ok: Bool, body: String),
            readiness: @escaping @Sendable () async -> (ready: Bool, body: String),
            metrics: @escaping @Sendable () -> String,
            metricsContentType: String
        ) {
            self.liveness = liveness
            self.readiness = readiness
            self.metrics = metrics
            self.metricsContentType = metricsContentType
        }
    }
}
