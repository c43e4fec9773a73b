import KubeSimTestKit
import TestSupport
/// What a chaos task is scripted to do in KubeSim, and so how it must end.
public enum ChaosOutcome: String, Sendable, CaseIterable, Hashable, CustomStringConvertible {
    /// Runs 0.1–2 s, logs, exits 0: `success`.
    case success
    /// Runs, logs, exits with a code from 1 to 125: `failed`, `Error, exit code N`.
    case exitCode
    /// Runs, logs, is OOM-killed: `failed`, `OOMKilled`.
    case oomKilled
    /// Its image never pulls: `failed`, `ErrImagePull: …` or `ImagePullBackOff: …` after the image pull grace.
    case imagePullError
    /// Starts late (`kubesim.taskpod.io/start-seconds`: 1–3 s in `ContainerCreating`), then runs and exits 0:
    /// `success`.
    case slowStart
    /// Runs and is evicted by the node: `failed`, `Evicted: …`.
    case evicted
    /// Never schedules: `failed`, `PendingTimeout: …` after the pending timeout.
    case unschedulable
    /// Its container cannot be configured (a missing Secret): `failed`, `CreateContainerConfigError: …` at once.
    case configError

    public var description: String { rawValue }

    /// Whether the container runs (and so whether its scripted log lines must reach the task log).
    var runs: Bool {
        switch self {
        case .success, .exitCode, .oomKilled, .slowStart, .evicted: true
        case .imagePullError, .unschedulable, .configError: false
        }
    }
}

/// How often each outcome is drawn: weights, not shares.
public struct ChaosMix: Sendable {
    public var weights: [(ChaosOutcome, Double)]

    public init(_ weights: [(ChaosOutcome, Double)]) {
        self.weights = weights
    }

    /// Mostly successes and exit codes, some of everything else.
    public static let standard = ChaosMix([
        (.success, 40), (.exitCode, 18), (.oomKilled, 10), (.imagePullError, 8), (.slowStart, 10), (.evicted, 7),
        (.unschedulable, 6), (.configError, 4),
    ])

    /// Without `unschedulable`: for runs whose pending timeout must stay long (API downtime).
    public static let withoutPendingTimeouts = ChaosMix([
        (.success, 42), (.exitCode, 20), (.oomKilled, 10), (.imagePullError, 8), (.slowStart, 12), (.evicted, 8),
        (.configError, 4),
    ])

    func draw(using random: inout SeededRandom) -> ChaosOutcome {
        let total = weights.reduce(0) { $0 + $1.1 }
        var point = Double.random(in: 0..<total, using: &random)
        for (outcome, weight) in weights {
            if point < weight { return outcome }
            point -= weight
        }
        return weights.last?.0 ?? .success
    }
}
