extension KubeSim {
    /// The faults in force.
    public func faults() async -> KubeSimFaults {
        faultInjector.faults
    }

    /// Replaces the faults in force; a throttle or downtime in them starts now.
    ///
    /// ```swift
    /// await sim.setFaults(KubeSimFaults(errors: [.init(verb: "create", rate: 0.1, code: 503)]))
    /// await sim.setFaults(KubeSimFaults(throttle: .init(seconds: 2, retryAfterSeconds: 1)))
    /// ```
    public func setFaults(_ faults: KubeSimFaults) async {
        APIResponder.apply(faults, to: faultInjector, store: store, configuration: configuration)
    }
}
