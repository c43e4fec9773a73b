import JSON

/// The Events the simulated scheduler and kubelet record, with the reasons and wording of the real ones
/// (`pkg/kubelet/events`, the image manager, `kuberuntime_container.go`, the scheduler's `FailedScheduling`).
extension Kubelet {
    func record(
        _ runtime: PodRuntime, _ type: CoreEvent.EventType, _ reason: String, _ message: String,
        container: String? = nil, from component: CoreEvent.Component = .kubelet
    ) {
        store.recordEvent(CoreEvent(
            pod: runtime.key, podUID: runtime.uid, container: container, type: type, reason: reason,
            message: message, component: component))
    }

    /// The message of an unschedulable Pod's condition and `FailedScheduling` Event.
    static let unschedulableMessage = "0/1 nodes are available: 1 Insufficient cpu."

    func recordScheduled(_ runtime: PodRuntime) {
        record(
            runtime, .normal, "Scheduled",
            "Successfully assigned \(runtime.key.namespace)/\(runtime.key.name) to \(PodStatus.nodeName)",
            from: .scheduler)
    }

    func recordFailedScheduling(_ runtime: PodRuntime) {
        record(
            runtime, .warning, "FailedScheduling",
            Self.unschedulableMessage + " preemption: 0/1 nodes are available: 1 No preemption victims found for "
                + "incoming pod.", from: .scheduler)
    }

    /// `Pulling` for every container.
    func recordPulling(_ runtime: PodRuntime) {
        for (name, image) in runtime.containerImages {
            record(runtime, .normal, "Pulling", "Pulling image \(image.quoted)", container: name)
        }
    }

    /// A failed pull of every container's image, then the back-off: `Failed` (the pull error), `Failed`
    /// (`Error: ErrImagePull`), `BackOff` and `Failed` (`Error: ImagePullBackOff`), as the kubelet records them.
    func recordImagePullFailure(_ runtime: PodRuntime, backOff: Bool) {
        for (name, image) in runtime.containerImages {
            if backOff {
                record(runtime, .normal, "BackOff", "Back-off pulling image \(image.quoted)", container: name)
                record(runtime, .warning, "Failed", "Error: ImagePullBackOff", container: name)
            } else {
                record(
                    runtime, .warning, "Failed",
                    "Failed to pull image \(image.quoted): " + PodStatus.imagePullErrorMessage(image), container: name)
                record(runtime, .warning, "Failed", "Error: ErrImagePull", container: name)
            }
        }
    }

    /// `Pulled` (after `pullTime`), `Created` and `Started` for every container.
    func recordStarted(_ runtime: PodRuntime, pullTime: Duration) {
        let took = Self.goDuration(pullTime)
        for (name, image) in runtime.containerImages {
            record(
                runtime, .normal, "Pulled",
                "Successfully pulled image \(image.quoted) in \(took) (\(took) including waiting). "
                    + "Image size: \(Self.imageSize(image)) bytes.", container: name)
            record(runtime, .normal, "Created", "Created container: \(name)", container: name)
            record(runtime, .normal, "Started", "Started container \(name)", container: name)
        }
    }

    /// `Pulled` and `Failed` with the configuration error, for every container.
    func recordConfigError(_ runtime: PodRuntime, message: String) {
        for (name, image) in runtime.containerImages {
            record(
                runtime, .normal, "Pulled", "Container image \(image.quoted) already present on machine",
                container: name)
            record(runtime, .warning, "Failed", "Error: \(message)", container: name)
        }
    }

    /// `Killing` for every container: the Pod's deletion (or eviction) stops them.
    func recordKilling(_ runtime: PodRuntime) {
        for name in runtime.containerNames {
            record(runtime, .normal, "Killing", "Stopping container \(name)", container: name)
        }
    }

    /// A made-up but stable size for an image.
    static func imageSize(_ image: String) -> Int {
        var hash: UInt32 = 2_166_136_261
        for byte in image.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return 2_000_000 + Int(hash % 50_000_000)
    }

    /// A duration as Go's `time.Duration.String` writes it, to the millisecond: `850ms`, `1.5s`.
    static func goDuration(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if milliseconds < 1000 { return "\(milliseconds)ms" }
        var fraction = String(milliseconds % 1000)
        fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(milliseconds / 1000)" + (fraction.isEmpty ? "" : "." + fraction) + "s"
    }
}
