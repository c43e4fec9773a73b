import Foundation
@testable import ChaosHarness
import Testing

/// The chaos invariants on hand-built evidence, without processes: what could let a run pass having checked
/// nothing must be a violation.
@Suite("Chaos invariants fail loudly instead of passing vacuously")
struct ChaosInvariantsTests {
    static let create = #"{"time":"t1","verb":"create","path":"/api/v1/namespaces/default/pods","code":201,"pod":"p-1"}"#

    static func audit(_ lines: [String]) -> AuditLogFile {
        AuditLogFile(data: Data(lines.joined(separator: "\n").utf8))
    }

    static func kill(unfinished: Int?) -> ChaosReport.Kill {
        ChaosReport.Kill(
            at: 1, controller: "chaos-1", progress: 0.5, inFlight: 0, unfinished: unfinished, orphanedPods: 0,
            restartedAs: nil, status: "signal 9")
    }

    @Test("a whole audit log is no violation, and its creates are counted")
    func wholeAudit() {
        let audit = Self.audit([Self.create, Self.create.replacingOccurrences(of: "p-1", with: "p-2"), ""])
        #expect(ChaosInvariants.auditViolations(audit).isEmpty)
        #expect(audit.successfulCreates.keys.sorted() == ["p-1", "p-2"])
    }

    @Test("a malformed audit line is a violation that quotes it, not a line skipped", arguments: [
        #"{"time":"t2","verb":"create","path":"/api/v1/namespaces/default/pods","co"#,  // cut by a crash
        #"{"time":"t2","path":"/api/v1/namespaces/default/pods","code":201}"#,  // no verb
        "not json",
    ])
    func malformedAuditLine(line: String) {
        let audit = Self.audit([Self.create, line])
        #expect(audit.entries.count == 1)
        let violations = ChaosInvariants.auditViolations(audit)
        #expect(violations.map(\.kind) == [.audit])
        #expect(violations.first?.detail.contains("line 2: " + line.prefix(20)) == true, "\(violations)")
    }

    @Test("an empty audit log is a violation: no create could be counted")
    func emptyAudit() {
        #expect(ChaosInvariants.auditViolations(Self.audit([])).map(\.kind) == [.audit])
        #expect(ChaosInvariants.auditViolations(Self.audit(["", ""])).map(\.kind) == [.audit])
    }

    @Test("a failed list of the Pods left is a violation, not \"no Pods left\"")
    func failedList() {
        let failed = ChaosInvariants.podViolations(.failed("503 Service Unavailable"))
        #expect(failed.map(\.kind) == [.settle])
        #expect(failed.first?.detail.contains("503") == true)
        #expect(ChaosInvariants.podViolations(.listed([])).isEmpty)
        #expect(ChaosInvariants.podViolations(.listed(["default/a", "default/b"])).map(\.kind) == [.leakedPod, .leakedPod])
    }

    @Test("a run without tasks is a violation")
    func noTasks() {
        #expect(ChaosInvariants.planViolations([]).map(\.kind) == [.vacuous])
        let plans = ChaosTaskPlan.scenario(count: 2, seed: 1, runID: "r", mix: .standard, settings: ControllerSettings())
        #expect(ChaosInvariants.planViolations(plans).isEmpty)
    }

    @Test("planned kills must include one with tasks unfinished")
    func killsWithTasksInFlight() {
        #expect(ChaosInvariants.killViolations(planned: 0, kills: []).isEmpty)
        #expect(ChaosInvariants.killViolations(planned: 2, kills: []).map(\.kind) == [.vacuous])
        let idle = ChaosInvariants.killViolations(planned: 2, kills: [Self.kill(unfinished: 0), Self.kill(unfinished: nil)])
        #expect(idle.map(\.kind) == [.vacuous])
        #expect(idle.first?.detail.contains("chaos-1 with 0 unfinished") == true, "\(idle)")
        #expect(ChaosInvariants.killViolations(planned: 2, kills: [Self.kill(unfinished: 0), Self.kill(unfinished: 7)]).isEmpty)
    }

    @Test("a fault plan whose faults or downtime never happened is a violation")
    func faultsNeverInjected() {
        var plan = ChaosFaultPlan()
        plan.downtimeSeconds = 5
        #expect(ChaosInvariants.faultViolations(plan: nil, applied: false, downtimeDone: false).isEmpty)
        #expect(ChaosInvariants.faultViolations(plan: plan, applied: false, downtimeDone: false).map(\.kind) == [.vacuous, .vacuous])
        #expect(ChaosInvariants.faultViolations(plan: plan, applied: true, downtimeDone: false).map(\.kind) == [.vacuous])
        #expect(ChaosInvariants.faultViolations(plan: plan, applied: true, downtimeDone: true).isEmpty)
        plan.downtimeSeconds = 0
        #expect(ChaosInvariants.faultViolations(plan: plan, applied: true, downtimeDone: false).isEmpty)
    }
}
