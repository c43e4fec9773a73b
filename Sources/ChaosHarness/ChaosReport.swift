import Foundation
import KubeSimTestKit
import TestSupport
import TaskStore

/// What a chaos run did and found.
public struct ChaosReport: Sendable, CustomStringConvertible {
    public var name: String
    public var seed: UInt64
    public var database: ChaosDatabase.Kind
    public var taskCount: Int
    public var plannedKills: Int
    public var kills: [Kill] = []
    public var adoptions: [Adoption] = []
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
            lines.append("  kill at \(seconds(kill.at)) (\(Int(kill.progress * 100))% done, \(kill.inFlight) in flight, "
                + "\(kill.unfinished.map(String.init) ?? "?") unfinished, \(kill.orphanedPods) Pods orphaned): "
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
