import ArgumentParser
import Foundation
import ChaosHarness
import TestSupport

/// The large chaos suite of `make chaos`.
@main
struct ChaosRunner: AsyncParsableCommand {
    static let runs = ["kills-sqlite", "kills-postgres", "faults", "ha", "adoption"]

    static let configuration = CommandConfiguration(
        commandName: "ChaosRunner",
        abstract: "The large chaos suite: controllers killed, API faults, leader election, adoption of orphaned Pods.",
        discussion: """
            Runs kills-sqlite and kills-postgres (--tasks tasks, --kills kill -9 of the controller, each restarted under \
            a new id), faults (the same under 10% 5xx, 429 storms with Retry-After, watch drops, a 40-event history \
            window and --downtime seconds of API downtime), ha (two controllers with leader election, the leader killed) \
            and adoption (N orphaned Pods adopted by a new controller). Every run checks that each task ends in its \
            scripted state with its reason and its log, and that KubeSim's audit log shows at most one successful Pod \
            create per task try. PostgreSQL runs need TASKPOD_TEST_POSTGRES_URL (`make chaos` starts a throwaway \
            server). Exits 1 when an invariant broke.
            """
    )

    @Option(help: ArgumentHelp("The taskpod binary (default: the one built beside this runner).", valueName: "path"))
    var taskpod: String?

    @Option(help: "The seed that plans tasks, kills and faults (default: a fresh one, printed).")
    var seed: UInt64?

    @Option(help: "Tasks per run.")
    var tasks = 500

    @Option(help: "kill -9 of a controller per run (ha: at most 4).")
    var kills = 10

    @Option(help: ArgumentHelp("Only these runs (comma-separated): \(runs.joined(separator: ", ")).", valueName: "runs"))
    var only: String?

    @Option(help: ArgumentHelp("Orphaned Pods per adoption run (comma-separated).", valueName: "n,n"))
    var adoptionPods = "250,1000,2000,5000"

    @Option(help: "The controller's --parallelism.")
    var parallelism = 50

    @Option(help: "Seconds of API downtime in the faults run.")
    var downtime = 30.0

    @Flag(help: "Keep every run's files (audit log, process outputs, database), not only a failed run's.")
    var keep = false

    @Flag(help: "Print only the reports, not the progress.")
    var quiet = false

    func validate() throws {
        guard tasks > 0 else { throw ValidationError("--tasks must be positive, not \(tasks)") }
        guard kills >= 0 else { throw ValidationError("--kills must be 0 or more, not \(kills)") }
        guard parallelism > 0 else { throw ValidationError("--parallelism must be positive, not \(parallelism)") }
        guard downtime >= 0 else { throw ValidationError("--downtime must be 0 or more seconds, not \(downtime)") }
        for name in selectedRuns ?? [] where !Self.runs.contains(name) {
            throw ValidationError("--only: unknown run \(name); the runs are \(Self.runs.joined(separator: ", "))")
        }
        _ = try podCounts()
    }

    var selectedRuns: Set<String>? { only.map { Set($0.split(separator: ",").map(String.init)) } }

    func podCounts() throws -> [Int] {
        try adoptionPods.split(separator: ",").map {
            guard let number = Int($0), number > 0 else { throw ValidationError("--adoption-pods takes positive numbers, e.g. 250,1000") }
            return number
        }
    }

    func wants(_ run: String) -> Bool { selectedRuns?.contains(run) ?? true }

    func configuration(_ name: String, binary: String, seed: UInt64) -> ChaosConfiguration {
        var configuration = ChaosConfiguration(name: name, seed: seed)
        configuration.binary = binary
        configuration.taskCount = tasks
        configuration.kills = kills
        configuration.controller.parallelism = parallelism
        configuration.killProgress = 0...0.85
        configuration.timeout = .seconds(480)
        configuration.stallTimeout = .seconds(90)
        configuration.artifacts = keep ? .always : .onFailure
        configuration.verbose = !quiet
        return configuration
    }

    func run() async throws {
        let binary = try taskpod ?? BuiltBinary.locate(BuiltBinary.taskpod)
        let seed = self.seed ?? SeededRandom.freshSeed()
        let info = ProcessInfo.processInfo
        say("ChaosRunner: seed \(seed), \(tasks) tasks, \(kills) kills, taskpod at \(binary)")
        say("machine: \(info.activeProcessorCount) cores, \(info.physicalMemory >> 30) GiB, \(info.operatingSystemVersionString)")
        let tally = Tally()

        if wants("kills-sqlite") {
            await tally.attempt("kills-sqlite") { try await ChaosRun(configuration("kills-sqlite", binary: binary, seed: seed)).run() }
        }
        if wants("kills-postgres") {
            var run = configuration("kills-postgres", binary: binary, seed: seed)
            run.database = .postgres
            await tally.attempt("kills-postgres") { try await ChaosRun(run).run() }
        }
        if wants("faults") {
            var run = configuration("faults", binary: binary, seed: seed)
            run.mix = .withoutPendingTimeouts
            run.controller.pendingTimeout = 90
            var faults = ChaosFaultPlan()
            faults.downtimeSeconds = downtime
            run.faults = faults
            await tally.attempt("faults") { try await ChaosRun(run).run() }
        }
        if wants("ha") {
            var run = configuration("ha", binary: binary, seed: seed)
            run.database = .postgres
            run.leaderElection = true
            run.kills = min(kills, 4)
            run.killProgress = 0.05...0.8
            await tally.attempt("ha") { try await ChaosRun(run).run() }
        }
        if wants("adoption") {
            for pods in try podCounts() {
                await tally.adoption(pods) {
                    try await AdoptionBenchmark.run(pods: pods, binary: binary, verbose: !quiet)
                }
            }
        }

        say("summary (seed \(seed)):")
        for line in tally.summary { say("  \(line)") }
        if tally.failures > 0 { throw ExitCode(1) }
    }
}

/// The runs' outcomes, for the summary and the exit status.
final class Tally {
    var failures = 0
    var summary: [String] = []

    /// Runs one chaos run and prints its report; a harness error counts as a failure.
    func attempt(_ name: String, _ body: () async throws -> ChaosReport) async {
        await timed(name) {
            let report = try await body()
            say(report.render(maxViolations: 60) + "\n")
            if !report.passed { failures += 1 }
            summary.append("\(report.name): \(report.passed ? "passed" : "FAILED") in \(String(format: "%.1f", report.secondsToFinish)) s, "
                + "\(report.kills.count) kills, \(report.adoptions.count) adoptions, \(report.violations.count) violations")
        }
    }

    /// Runs one adoption benchmark; it fails when the adopter did not end up holding every task.
    func adoption(_ pods: Int, _ body: () async throws -> AdoptionBenchmark.Result) async {
        await timed("adoption-\(pods)") {
            let result = try await body()
            say(result.description)
            summary.append(result.description)
            if result.tasksHeldByAdopter != pods { failures += 1 }
        }
    }

    private func timed(_ name: String, _ body: () async throws -> Void) async {
        let start = ContinuousClock.now
        do {
            try await body()
        } catch {
            failures += 1
            say("\(name): the harness failed: \(error)\n")
            summary.append("\(name): HARNESS FAILURE: \(error)")
        }
        say("(\(name) took \(ContinuousClock.now - start))")
    }
}

/// Writes a line at once (unbuffered), so that a report piped to a file is whole even when a later run hangs.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
