import KubeSimTestKit
import TestSupport
import JSON
import TaskStore

/// One task of a chaos scenario: its key and spec (the KubeSim script in `pod_override` annotations), and what the
/// run must end with.
public struct ChaosTaskPlan: Sendable {
    /// What the task's final reason must be.
    public enum ReasonExpectation: Sendable, Equatable, CustomStringConvertible {
        case none
        case exactly(String)
        /// Starts with one of these.
        case prefix([String])

        func matches(_ reason: String?) -> Bool {
            switch self {
            case .none: reason == nil
            case .exactly(let expected): reason == expected
            case .prefix(let prefixes): reason.map { reason in prefixes.contains { reason.hasPrefix($0) } } ?? false
            }
        }

        public var description: String {
            switch self {
            case .none: "no reason"
            case .exactly(let expected): "\"\(expected)\""
            case .prefix(let prefixes): prefixes.map { "\"\($0)…\"" }.joined(separator: " or ")
            }
        }
    }

    public var key: TaskKey
    public var outcome: ChaosOutcome
    /// The `kubesim.taskpod.io/*` annotations (full names).
    public var annotations: [String: String]
    public var expectedState: TaskState
    public var expectedReason: ReasonExpectation
    /// Lines the task log must hold exactly once (the container's scripted lines that are surely written).
    public var expectedLogLines: [String]

    public var spec: TaskSpec {
        var object = JSONObject()
        for (name, value) in annotations.sorted(by: { $0.key < $1.key }) { object[name] = .string(value) }
        return TaskSpec(command: ["chaos-task"], image: image, podOverride: ["metadata": ["annotations": .object(object)]])
    }

    /// A missing image for image pull errors, so the simulated message names it.
    var image: String? { outcome == .imagePullError ? "registry.invalid/chaos/missing:\(key.taskID)" : nil }
}

extension ChaosTaskPlan {
    static let prefix = "kubesim.taskpod.io/"

    /// Draws one task: its outcome from `mix`, its timings and log lines from `random`.
    static func make(
        index: Int, runID: String, mix: ChaosMix, settings: ControllerSettings, using random: inout SeededRandom
    ) -> ChaosTaskPlan {
        let outcome = mix.draw(using: &random)
        let dag = ["chaos_etl", "chaos_ml", "chaos_reports"][index % 3]
        let number = String(index)
        let taskID = "t" + String(repeating: "0", count: max(0, 4 - number.count)) + number + "_" + outcome.rawValue
        let key = TaskKey(dagID: dag, taskID: taskID, runID: runID)
        let runSeconds = Double(Int.random(in: 1...20, using: &random)) / 10  // 0.1 … 2.0 s
        let lineCount = Int.random(in: 1...5, using: &random)
        let nonce = String(random.next() % 0xFFFF_FFFF, radix: 16)
        let lines = (1...lineCount).map { "task \(index) \(outcome.rawValue) line \($0)/\(lineCount) \(nonce)" }
        var annotations: [String: String] = [prefix + "run-seconds": String(runSeconds)]
        if outcome.runs { annotations[prefix + "log"] = lines.joined(separator: "\n") }
        var plan = ChaosTaskPlan(
            key: key, outcome: outcome, annotations: annotations, expectedState: .success, expectedReason: .none,
            expectedLogLines: outcome.runs ? lines : [])
        switch outcome {
        case .success:
            break
        case .exitCode:
            let code = Int.random(in: 1...125, using: &random)
            plan.annotations[prefix + "exit-code"] = "\(code)"
            plan.expectedState = .failed
            plan.expectedReason = .exactly("Error, exit code \(code)")
        case .oomKilled:
            plan.annotations[prefix + "oom"] = "true"
            plan.expectedState = .failed
            plan.expectedReason = .exactly("OOMKilled")
        case .imagePullError:
            plan.annotations[prefix + "image-pull-error"] = "true"
            plan.expectedState = .failed
            plan.expectedReason = .prefix(["ImagePullBackOff: ", "ErrImagePull: "])
        case .slowStart:
            let delay = Double(Int.random(in: 10...30, using: &random)) / 10  // 1 … 3 s
            plan.annotations[prefix + "start-seconds"] = String(delay)
        case .evicted:
            // Lines at 0, T/n, 2T/n, …; evicted between 30 % and 70 % of the run: the lines written well before
            // the eviction must be in the log, the others may not.
            let run = 2.0
            let evictAfter = run * Double(Int.random(in: 30...70, using: &random)) / 100
            plan.annotations[prefix + "run-seconds"] = String(run)
            plan.annotations[prefix + "evict-after-seconds"] = String(evictAfter)
            plan.expectedState = .failed
            plan.expectedReason = .prefix(["Evicted: "])
            plan.expectedLogLines = lines.enumerated().filter { run * Double($0.offset) / Double(lineCount) < evictAfter - 0.2 }
                .map(\.element)
        case .configError:
            plan.annotations[prefix + "config-error"] = "true"
            plan.expectedState = .failed
            plan.expectedReason = .prefix(["CreateContainerConfigError"])
        case .unschedulable:
            plan.annotations[prefix + "unschedulable"] = "true"
            plan.expectedState = .failed
            plan.expectedReason = .prefix(["PendingTimeout: "])
        }
        return plan
    }

    /// The scenario of a run: `count` tasks drawn from `seed`.
    public static func scenario(
        count: Int, seed: UInt64, runID: String, mix: ChaosMix, settings: ControllerSettings
    ) -> [ChaosTaskPlan] {
        var random = SeededRandom.derived(from: seed, "tasks")
        return (0..<count).map { make(index: $0, runID: runID, mix: mix, settings: settings, using: &random) }
    }
}
