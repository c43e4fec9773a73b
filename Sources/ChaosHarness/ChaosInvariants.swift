import Foundation
import KubeSimTestKit
import TestSupport
import TaskPod
import TaskStore

/// The invariants of "a controller that never loses or duplicates a task", checked from the store, KubeSim's audit
/// log and the task logs after a chaos run.
public enum ChaosInvariants {
    /// Checks every planned task.
    ///
    /// - every task is in the store and final, in its scripted state with its scripted reason;
    /// - the audit log shows exactly one successful Pod create for each task try (the Pod name is the try's);
    /// - every task has a log, with the ending the controller writes, and each scripted line exactly once;
    /// - every task's transitions are a valid history that ends once, in its state;
    /// - the Pods left without `airflow_executor_done=True` after the run could be listed, and there are none;
    /// - there was something to check (``planViolations(_:)``) and the audit log is whole (``auditViolations(_:)``).
    public static func check(
        plans: [ChaosTaskPlan], store: TaskStore, audit: AuditLogFile, pods: PodListing
    ) async throws -> [ChaosViolation] {
        var violations = planViolations(plans) + auditViolations(audit)
        var byKey: [TaskKey: TaskInstance] = [:]
        for task in try await store.tasks() { byKey[task.key] = task }
        let creates = audit.successfulCreates
        var plannedPods: Set<String> = []

        for plan in plans {
            let name = plan.key.description
            let podName = PodNaming.podName(for: plan.key)
            plannedPods.insert(podName)
            guard let task = byKey[plan.key] else {
                violations.append(ChaosViolation(.lost, task: name, "not in the store"))
                continue
            }
            let label = "\(name) (id \(task.id), \(plan.outcome))"
            let events = try await store.events(id: task.id)
            let history = events.map { "\($0.from?.rawValue ?? "new")→\($0.to.rawValue)\($0.reason.map { " (\($0))" } ?? "")" }
                .joined(separator: ", ")
            guard task.state.isFinal else {
                violations.append(ChaosViolation(
                    .unfinished, task: label,
                    "still \(task.state.rawValue) (controller \(task.controllerID ?? "none"), pod \(task.podName ?? "none")); "
                        + "events: \(history); audit: \(audit.lines(pod: podName).suffix(6).joined(separator: " | "))"))
                continue
            }
            if task.state != plan.expectedState || !plan.expectedReason.matches(task.reason) {
                violations.append(ChaosViolation(
                    .wrongFinalState, task: label,
                    "ended \(task.state.rawValue) (\(task.reason ?? "no reason")), expected \(plan.expectedState.rawValue) "
                        + "(\(plan.expectedReason)); events: \(history)"))
            }

            let podCreates = creates[podName] ?? []
            if podCreates.count > 1 {
                violations.append(ChaosViolation(
                    .duplicateCreate, task: label,
                    "\(podCreates.count) successful creates of Pod \(podName): "
                        + audit.lines(pod: podName).joined(separator: " | ")))
            } else if podCreates.isEmpty, task.podName != nil || events.contains(where: { $0.to == .launched }) {
                violations.append(ChaosViolation(.missingCreate, task: label, "launched, but no successful create of Pod \(podName)"))
            }

            let log = try await store.log(id: task.id)
            if log.isEmpty {
                violations.append(ChaosViolation(.log, task: label, "ended \(task.state.rawValue) with an empty log"))
            } else {
                if !log.contains("task \(task.state.rawValue)") {
                    violations.append(ChaosViolation(
                        .log, task: label, "the log lacks the controller's ending (\"task \(task.state.rawValue)\"): \(tail(log))"))
                }
                let counts = plan.expectedLogLines.map { line in (line, log.components(separatedBy: line).count - 1) }
                let missing = counts.filter { $0.1 == 0 }.map(\.0)
                let repeated = counts.filter { $0.1 > 1 }.map { "\"\($0.0)\" ×\($0.1)" }
                if !missing.isEmpty || !repeated.isEmpty {
                    var problems: [String] = []
                    if !missing.isEmpty {
                        problems.append("\(missing.count) of \(counts.count) scripted lines missing (first: \"\(missing[0])\")")
                    }
                    if !repeated.isEmpty { problems.append("lines repeated: \(repeated.joined(separator: ", "))") }
                    violations.append(ChaosViolation(.log, task: label, problems.joined(separator: "; ") + ": \(tail(log))"))
                }
            }

            if let problem = historyProblem(events, final: task.state) {
                violations.append(ChaosViolation(.events, task: label, "\(problem); events: \(history)"))
            }
        }
        for (pod, entries) in creates where !plannedPods.contains(pod) {
            violations.append(ChaosViolation(.duplicateCreate, task: nil, "\(entries.count) creates of Pod \(pod), which no task owns"))
        }
        return violations + podViolations(pods)
    }

    /// The last answer to "which Pods are still live" at the end of a run.
    public enum PodListing: Sendable, Equatable {
        /// `namespace/name` of each live Pod (none: every Pod is done).
        case listed([String])
        /// The list failed (the error), so nothing is known.
        case failed(String)
    }

    /// A run with no planned task checks nothing: a violation, not a pass.
    public static func planViolations(_ plans: [ChaosTaskPlan]) -> [ChaosViolation] {
        plans.isEmpty ? [ChaosViolation(.vacuous, task: nil, "no task was planned, so no invariant was checked")] : []
    }

    /// An empty audit log (no create can be counted) and each malformed line (a create it held would go uncounted)
    /// are violations.
    public static func auditViolations(_ audit: AuditLogFile) -> [ChaosViolation] {
        if audit.entries.isEmpty, audit.malformedLines == 0 {
            return [ChaosViolation(.audit, task: nil, "the audit log is empty: no Pod create could be counted")]
        }
        guard audit.malformedLines > 0 else { return [] }
        return [ChaosViolation(
            .audit, task: nil,
            "\(audit.malformedLines) malformed audit lines (a create on one would go uncounted): "
                + audit.malformedSamples.joined(separator: " | "))]
    }

    /// Each live Pod is a leak; a failed list is a violation too (it is not "no Pods left").
    public static func podViolations(_ pods: PodListing) -> [ChaosViolation] {
        switch pods {
        case .listed(let names):
            names.map { ChaosViolation(.leakedPod, task: nil, "Pod \($0) is still live after every task ended") }
        case .failed(let error):
            [ChaosViolation(.settle, task: nil, "the Pods left at the end could not be listed: \(error)")]
        }
    }

    /// With kills planned, at least one must have hit a controller while tasks were unfinished (counted from the
    /// store right after the kill, so a lower bound of those at the kill); kills of an idle controller test nothing.
    public static func killViolations(planned: Int, kills: [ChaosReport.Kill]) -> [ChaosViolation] {
        guard planned > 0, !kills.contains(where: { ($0.unfinished ?? 0) > 0 }) else { return [] }
        let seen = kills.map { "\($0.controller) with \($0.unfinished.map(String.init) ?? "an unknown number of") unfinished" }
        return [ChaosViolation(
            .vacuous, task: nil,
            "\(planned) kills planned, but none hit a controller with tasks in flight"
                + (seen.isEmpty ? " (no kill happened)" : ": " + seen.joined(separator: ", ")))]
    }

    /// A run with a fault plan whose faults were never set, or whose planned downtime never happened, tested no
    /// faults.
    public static func faultViolations(plan: ChaosFaultPlan?, applied: Bool, downtimeDone: Bool) -> [ChaosViolation] {
        guard let plan else { return [] }
        var violations: [ChaosViolation] = []
        if !applied {
            violations.append(ChaosViolation(.vacuous, task: nil, "the planned API faults were never set on the simulator"))
        }
        if plan.downtimeSeconds > 0, !downtimeDone {
            violations.append(ChaosViolation(
                .vacuous, task: nil,
                "the planned \(plan.downtimeSeconds) s API downtime never happened (at \(Int(plan.downtimeAtProgress * 100))% done)"))
        }
        return violations
    }

    /// Why `events` is not a valid history ending in `final`, or nil.
    static func historyProblem(_ events: [TaskEvent], final: TaskState) -> String? {
        guard let first = events.first else { return "no events" }
        guard first.from == nil, first.to == .queued else { return "the first event is not the submit" }
        let allowed: [TaskState: Set<TaskState>] = [
            .queued: [.queued, .launched, .running, .success, .failed, .cancelled],
            .launched: [.launched, .running, .success, .failed, .cancelled],
            .running: [.running, .success, .failed, .cancelled],
        ]
        var state = TaskState.queued
        for event in events.dropFirst() {
            if let from = event.from, from != state { return "an event from \(from.rawValue) while the task was \(state.rawValue)" }
            guard allowed[state]?.contains(event.to) == true else {
                return "\(state.rawValue) → \(event.to.rawValue) is not a valid transition"
            }
            state = event.to
        }
        if state != final { return "the events end in \(state.rawValue), the task is \(final.rawValue)" }
        return nil
    }

    static func tail(_ log: String) -> String {
        let lines = log.split(separator: "\n", omittingEmptySubsequences: false)
        return lines.suffix(8).joined(separator: " ⏎ ")
    }
}
