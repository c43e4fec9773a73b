import KubeClient

extension Controller {
    /// How long a loop may stay busy in one step before the liveness probe calls it stuck: a reconcile, a resync
    /// pass, one Pod create (the launcher marks progress after each), a heartbeat. Every API call and store query
    /// inside gives up well before (30 s per request, 60 s for all retries).
    public static let stepThreshold: Duration = .seconds(120)

    /// The loops the liveness probe watches. An informer moves at least once per watch (the server ends a watch
    /// after `watchTimeoutSeconds`, 300 s) and per failed list, so two watches without a sign of life is a hang.
    func registerLoops(informers: Int) {
        for name in ["launcher", "resync", "heartbeat"] { liveness.register(name, threshold: Controller.stepThreshold) }
        // An adoption pass relabels every Pod of a dead peer.
        liveness.register("adoption", threshold: Controller.stepThreshold * 5)
        for index in 0..<max(1, configuration.workers) {
            liveness.register("worker-\(index)", threshold: Controller.stepThreshold)
        }
        let watch = Duration.seconds(PodInformer.Configuration(namespace: nil).watchTimeoutSeconds)
        for index in 0..<informers {
            liveness.register("informer-\(index)", threshold: watch * 2 + Controller.stepThreshold)
            liveness.busy("informer-\(index)")
        }
    }

    /// The liveness probe: red when a loop of the controller is stuck (``stepThreshold``), with which and for how
    /// long. A controller that is not running (a standby) is alive.
    public func health() -> (ok: Bool, detail: String) {
        liveness.health()
    }

    /// True once every informer listed its Pods since the controller last started.
    public var informersSynced: Bool { cache.synced }
}
