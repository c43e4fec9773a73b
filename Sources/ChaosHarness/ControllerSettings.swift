import KubeSimTestKit
import TestSupport
/// The `taskpod controller` options of a chaos run: short timeouts, so that failures surface within seconds.
public struct ControllerSettings: Sendable {
    /// `--parallelism`.
    public var parallelism: Int = 32
    /// `--image-pull-grace`, seconds.
    public var imagePullGrace: Int = 2
    /// `--worker-pods-pending-timeout`, seconds.
    public var pendingTimeout: Int = 8
    /// `--task-queued-timeout`, seconds; 0: never (a task stuck queued shows as stuck, not as `QueuedTimeout`).
    public var taskQueuedTimeout: Int = 0
    /// `--heartbeat-interval` and `--heartbeat-timeout`, seconds (the timeout at least 3 intervals).
    public var heartbeatInterval: Int = 1
    public var heartbeatTimeout: Int = 5
    /// `--lease-duration`, seconds, when the run uses leader election.
    public var leaseDuration: Int = 4
    /// `--lease-name`.
    public var leaseName: String = "taskpod-chaos"
    /// `--qps` and `--burst`; nil keeps the controller's defaults.
    public var qps: Double?
    public var burst: Int?
    /// `--log-level`.
    public var logLevel: String = "info"
    /// More options, appended as given.
    public var extraArguments: [String] = []

    public init() {}

    /// The command line of `taskpod controller`.
    func arguments(database: String, kubeconfig: String, id: String, leaderElection: Bool) -> [String] {
        var arguments = [
            "controller", "--db", database, "--kubeconfig", kubeconfig, "--controller-id", id,
            "--parallelism", "\(parallelism)", "--image-pull-grace", "\(imagePullGrace)",
            "--worker-pods-pending-timeout", "\(pendingTimeout)", "--task-queued-timeout", "\(taskQueuedTimeout)",
            "--heartbeat-interval", "\(heartbeatInterval)", "--heartbeat-timeout", "\(heartbeatTimeout)", "--log-level", logLevel,
        ]
        if leaderElection {
            arguments += ["--leader-elect", "--lease-name", leaseName, "--lease-duration", "\(leaseDuration)"]
        }
        if let qps { arguments += ["--qps", "\(qps)"] }
        if let burst { arguments += ["--burst", "\(burst)"] }
        return arguments + extraArguments
    }
}
