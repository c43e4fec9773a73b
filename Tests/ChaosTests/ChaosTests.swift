import Foundation
import ChaosHarness
import TestSupport
import Testing

/// The small chaos suite of `make test`: KubeSim and the controllers in their own processes, controllers killed
/// with SIGKILL and restarted, API faults, two controllers with leader election; then every task must be in its
/// scripted final state with its reason and its log, with at most one successful Pod create per task try.
///
/// `TASKPOD_CHAOS_SEED` replans every run with another seed; `TASKPOD_CHAOS_VERBOSE=1` prints progress. The files of a
/// failed run (audit log, process outputs, SQLite database) are kept and named in the failure.
@Suite("Chaos: a controller that never loses or duplicates a task", .serialized)
struct ChaosTests {
    static func configuration(_ name: String, seed: UInt64) -> ChaosConfiguration {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["TASKPOD_CHAOS_SEED"].flatMap { UInt64($0) } ?? seed
        var configuration = ChaosConfiguration(name: name, seed: seed)
        configuration.verbose = environment["TASKPOD_CHAOS_VERBOSE"] == "1"
        configuration.controller.parallelism = 24
        configuration.timeout = .seconds(120)
        configuration.stallTimeout = .seconds(40)
        return configuration
    }

    static func check(_ report: ChaosReport, kills: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        print(report)
        let short = report.render(maxViolations: 6)
        // Plain Booleans, so that a failure shows the short report and not a dump of every violation.
        let everyKill = report.kills.count == kills
        let invariantsHold = report.violations.isEmpty
        #expect(everyKill, "not every planned kill happened:\n\(short)", sourceLocation: sourceLocation)
        #expect(invariantsHold, "\(short)", sourceLocation: sourceLocation)
    }

    @Test("80 tasks, 3 controller kills", arguments: ChaosDatabase.Kind.allCases)
    func controllerKills(database: ChaosDatabase.Kind) async throws {
        var configuration = Self.configuration("kills-\(database.rawValue)", seed: 20_261_122)
        configuration.database = database
        configuration.taskCount = 80
        configuration.kills = 3
        let report = try await ChaosRun(configuration).run()
        Self.check(report, kills: 3)
    }

    @Test("60 tasks under API faults: 5xx, 429 storms, watch drops, 410s, 5 s downtime, and a kill")
    func apiFaults() async throws {
        var configuration = Self.configuration("faults", seed: 20_261_123)
        configuration.taskCount = 60
        configuration.kills = 1
        configuration.mix = .withoutPendingTimeouts
        configuration.controller.pendingTimeout = 60
        var faults = ChaosFaultPlan()
        faults.downtimeSeconds = 5
        faults.throttleEvery = 3...6
        faults.dropWatchesEvery = 2
        configuration.faults = faults
        let report = try await ChaosRun(configuration).run()
        Self.check(report, kills: 1)
    }

    @Test("60 tasks, two controllers with leader election, the leader killed twice")
    func leaderElection() async throws {
        var configuration = Self.configuration("ha", seed: 20_261_124)
        configuration.taskCount = 60
        configuration.kills = 2
        configuration.leaderElection = true
        configuration.killProgress = 0.1...0.6
        let report = try await ChaosRun(configuration).run()
        Self.check(report, kills: 2)
        // At least one kill left the leader's Pods orphaned (the run's own check already asks for a kill with tasks
        // unfinished), and every kill that did had its Pods adopted by the standby.
        let orphaning = report.kills.filter { $0.orphanedPods > 0 }
        #expect(!orphaning.isEmpty, "no kill orphaned a Pod:\n\(report.render(maxViolations: 6))")
        #expect(report.adoptions.count == orphaning.count, "not every orphaning kill was adopted:\n\(report.render(maxViolations: 6))")
    }
}
