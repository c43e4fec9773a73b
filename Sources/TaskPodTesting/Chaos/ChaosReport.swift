import Foundation
import TaskStore

/// An invariant a chaos run found broken: what, for which task, and the evidence.
public struct ChaosViolation: Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// A planned task is not in the store.
        case lost
        /// A task did not reach a final state in time.
        case unfinished
        /// A task ended in another state, or with another reason, than its script says.
        case wrongFinalState
        /// More than one successful Pod create for one task try.
        case duplicateCreate
        /// A task that ended with a Pod has no successful create in the audit log.
        case missingCreate
        /// A finished task's log is empty, misses a scripted line or has one twice.
        case log
        /// The task's recorded transitions are not a valid history.
        case events
        /// A live (not done) Pod is left after every task ended.
        case leakedPod
        /// A controller process ended without being killed, or failed its graceful stop.
        case controllerCrash
    }

    public var kind: Kind
    public var task: String?
    public var detail: String

    public init(_ kind: Kind, task: String?, _ detail: String) {
        self.kind = kind
        self.task = task
        self.detail = detail
    }

    public var description: String { "[\(kind.rawValue)] \(task.map { "\($0): " } ?? "")\(detail)" }
}

/// One kill -9 of a controller.
public struct KillRecord: Sendable {
    /// Seconds since the run started.
    public var at: Double
    public var controller: String
    /// The share of tasks that had ended.
    public var progress: Double
    /// Tasks launched or running at the kill: the Pods it orphaned.
    public var inFlight: Int
    /// The controller started in its place (nil in a leader-election run, where the standby takes over).
    public var restartedAs: String?
    /// How the killed process ended (`signal 9`, or an exit if it died first).
    public var status: String
}

/// One adoption of a dead controller's Pods, measured from the outside (the Pods' `airflow-worker` label).
public struct AdoptionRecord: Sendable {
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

/// What a chaos run did and found.
public struct ChaosReport: Sendable, CustomStringConvertible {
    public var name: String
    public var seed: UInt64
    public var database: ChaosDatabase.Kind
    public var taskCount: Int
    public var plannedKills: Int
    public var kills: [KillRecord] = []
    public var adoptions: [AdoptionRecord] = []
    /// Seconds from the first submit until every task ended (or the timeout).
    public var secondsToFinish: Double = 0
    public var outcomes: [ChaosOutcome: Int] = [:]
    public var finalStates: [TaskState: Int] = [:]
    /// `verb code` → count, from the audit log.
    public var requests: [String: Int] = [:]
    public var faultNotes: [String] = []
    public var violations: [ChaosViolation] = []
    /// Where the run's files (audit log, process outputs, database) are, when kept.
    public var artifacts: String?

    public var passed: Bool { violations.isEmpty }

    public var description: String { render(maxViolations: 40) }

    /// The report with at most `maxViolations` violations spelled out (all are counted by kind).
    public func render(maxViolations: Int) -> String {
        var lines: [String] = []
        lines.append("chaos run \(name): \(passed ? "PASSED" : "FAILED (\(violations.count) violations)")")
        lines.append("  seed \(seed), \(database), \(taskCount) tasks, kills \(kills.count)/\(plannedKills), "
            + "finished in \(seconds(secondsToFinish))")
        lines.append("  outcomes: " + outcomes.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key) \($0.value)" }
            .joined(separator: ", "))
        lines.append("  final states: " + finalStates.sorted { $0.key.rawValue < $1.key.rawValue }
            .map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", "))
        let interesting = requests.filter { !$0.key.hasPrefix("get 200") }.sorted { $0.key < $1.key }
        lines.append("  requests: " + interesting.map { "\($0.key): \($0.value)" }.joined(separator: ", "))
        for kill in kills {
            lines.append("  kill at \(seconds(kill.at)) (\(Int(kill.progress * 100))% done, \(kill.inFlight) in flight): "
                + "\(kill.controller) (\(kill.status))" + (kill.restartedAs.map { ", restarted as \($0)" } ?? ""))
        }
        for adoption in adoptions {
            lines.append("  adoption \(adoption.from) → \(adoption.to): \(adoption.pods) Pods relabelled "
                + "\(seconds(adoption.secondsFromKill)) after the kill, \(seconds(adoption.secondsFromAdopterStart)) after "
                + "the adopter started" + (adoption.reportedPass.map { " (its own log: \($0))" } ?? ""))
        }
        for note in faultNotes { lines.append("  faults: \(note)") }
        if !violations.isEmpty {
            var kinds: [String: Int] = [:]
            for violation in violations { kinds[violation.kind.rawValue, default: 0] += 1 }
            lines.append("  violations by kind: " + kinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
                .joined(separator: ", "))
        }
        for violation in violations.prefix(maxViolations) { lines.append("  VIOLATION \(violation)") }
        if violations.count > maxViolations { lines.append("  … and \(violations.count - maxViolations) more violations") }
        if let artifacts { lines.append("  files: \(artifacts) (report.txt lists every violation)") }
        return lines.joined(separator: "\n")
    }
}

/// `12.34 s`.
func seconds(_ value: Double) -> String {
    String(format: "%.2f s", value)
}
