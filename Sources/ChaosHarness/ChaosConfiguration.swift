import KubeSimTestKit
import TestSupport
/// What a chaos run does: how many tasks of which outcomes, on which store, how many controller kills, which API
/// faults, one controller or two with leader election.
///
/// ```swift
/// var configuration = ChaosConfiguration(name: "kills-sqlite", seed: 42)
/// configuration.taskCount = 500
/// configuration.kills = 10
/// let report = try await ChaosRun(configuration).run()
/// print(report)
/// ```
public struct ChaosConfiguration: Sendable {
    /// Files to keep after the run.
    public enum Artifacts: Sendable {
        case always, onFailure, never
    }

    public var name: String
    /// Plans the tasks, the kill moments and the faults.
    public var seed: UInt64
    public var taskCount: Int = 80
    public var mix: ChaosMix = .standard
    public var database: ChaosDatabase.Kind = .sqlite
    /// How many times a controller is killed with SIGKILL.
    public var kills: Int = 3
    /// A kill happens once at least this share of the tasks ended (drawn in the range, one per kill, sorted) …
    public var killProgress: ClosedRange<Double> = 0...0.7
    /// … and the victim has run for at least this many seconds (drawn per kill).
    public var uptimeBeforeKill: ClosedRange<Double> = 0.3...2.5
    /// Seconds between a kill and the restart (drawn per kill).
    public var restartDelay: ClosedRange<Double> = 0...1.5
    /// The share of restarts under a new controller id, whose Pods a peer must adopt once the heartbeat lapses; the
    /// others restart under the same id and resume their own Pods. (With leader election every restart takes a new
    /// id: the standby adopts the killed leader's Pods.)
    public var newIdentityShare: Double = 0.5
    /// Two controllers with `--leader-elect`: each kill hits the leader, the standby takes over.
    public var leaderElection: Bool = false
    /// API faults injected through KubeSim during the run.
    public var faults: ChaosFaultPlan? = nil
    public var controller = ControllerSettings()
    /// How long the tasks may take to end, from the first controller's start.
    public var timeout: Duration = .seconds(300)
    /// Stop waiting when no task ended for this long after the last kill (a task stuck for good shows as
    /// `unfinished` without waiting out the whole timeout).
    public var stallTimeout: Duration = .seconds(60)
    public var artifacts: Artifacts = .onFailure
    /// Where the run's folder goes (default: the temporary folder).
    public var parentDirectory: String? = nil
    /// The `taskpod` executable; found next to the running program (or `$TASKPOD_BINARY`) when nil.
    public var binary: String? = nil
    /// Print progress lines to standard error.
    public var verbose: Bool = false

    public init(name: String, seed: UInt64) {
        self.name = name
        self.seed = seed
    }
}

/// The API faults of a chaos run, injected with `PUT /kubesim/faults`.
public struct ChaosFaultPlan: Sendable {
    /// The share of API requests answered 500 or 503 (half each).
    public var errorRate: Double = 0.1
    /// Cut every watch this often (seconds).
    public var dropWatchesEvery: Double = 3
    /// The simulator keeps only this many change events, so rewatches and old continue tokens get 410 Gone.
    public var historyWindow: Int = 40
    /// Seconds between two 429 storms (drawn per storm).
    public var throttleEvery: ClosedRange<Double> = 6...12
    /// How long a storm lasts, and its `Retry-After`.
    public var throttleSeconds: Double = 2
    public var retryAfterSeconds: Int = 1
    /// One API downtime of this many seconds (0: none) …
    public var downtimeSeconds: Double = 30
    /// … once this share of the tasks ended.
    public var downtimeAtProgress: Double = 0.25

    public init() {}
}
