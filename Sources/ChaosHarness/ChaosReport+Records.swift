import KubeSimTestKit
import TestSupport
extension ChaosReport {
    /// One kill -9 of a controller.
    public struct Kill: Sendable {
        /// Seconds since the run started.
        public var at: Double
        public var controller: String
        /// The share of tasks that had ended.
        public var progress: Double
        /// Tasks launched or running when the harness last looked (up to 200 ms before the kill).
        public var inFlight: Int
        /// Tasks not final, counted from the store right after the kill: a lower bound of those unfinished at the
        /// kill (tasks only ever become final). Nil when the store could not be read.
        public var unfinished: Int?
        /// The killed controller's live Pods right after the kill: the Pods it orphaned.
        public var orphanedPods: Int
        /// The controller started in its place (nil in a leader-election run, where the standby takes over).
        public var restartedAs: String?
        /// How the killed process ended (`signal 9`, or an exit if it died first).
        public var status: String
    }

    /// One adoption of a dead controller's Pods, measured from the outside (the Pods' `airflow-worker` label).
    public struct Adoption: Sendable {
        public var from: String
        public var to: String
        /// The dead controller's live Pods when it was killed.
        public var pods: Int
        /// From the kill until none of its live Pods was left with its label.
        public var secondsFromKill: Double
        /// From the start of the adopting controller (or, with leader election, the kill) until then.
        public var secondsFromAdopterStart: Double
        /// The adopter's own figure, from its "adopted a dead controller's work" log line, when found.
        public var reportedPass: String?
    }
}
