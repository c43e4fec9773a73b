import ArgumentParser
import Foundation
import TestSupport

/// The soak benchmark of `make soak`: many tasks through one release-build controller, its memory and CPU sampled.
@main
struct SoakBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "SoakBenchmark",
        abstract: "Runs many instant tasks through one controller and checks that its memory stays flat.",
        discussion: """
            Starts `kubesim --mode scripted` and one `taskpod controller` (each in its own process) on a SQLite file, \
            submits --tasks tasks whose Pods end at once (in batches of --batch, at most --backlog ahead of the \
            finished ones) and reads the controller's VmRSS and utime+stime from /proc every second. Reports RSS \
            when 10%, 20%, 40% and 100% of the tasks have ended (5,000 / 10,000 / 20,000 / 50,000 of 50,000), the \
            peak RSS and CPU seconds per 1,000 tasks. Exits 1 when a task did not succeed, the peak RSS reaches \
            --max-rss-mib or RSS grows by --max-growth-percent or more from the first milestone to the last.
            """
    )

    @Option(help: ArgumentHelp("The taskpod binary (default: the one built beside this runner).", valueName: "path"))
    var taskpod: String?

    @Option(help: ArgumentHelp("The kubesim binary (default: the one built beside this runner).", valueName: "path"))
    var kubesim: String?

    @Option(help: "Tasks to run.")
    var tasks = 50_000

    @Option(help: "The controller's --parallelism.")
    var parallelism = 256

    @Option(help: "Tasks submitted at a time.")
    var batch = 500

    @Option(help: "At most this many tasks submitted and not finished yet.")
    var backlog = 2_000

    @Option(name: .customLong("max-rss-mib"), help: "The bound on the controller's peak RSS, MiB.")
    var maxRSSMiB = 64

    @Option(help: "The bound on RSS growth from the first milestone to the last, percent.")
    var maxGrowthPercent = 10

    @Option(help: ArgumentHelp("Also write the report, with every sample, as JSON to this file.", valueName: "file"))
    var json: String?

    @Flag(help: "Keep the run's folder (database, process outputs, audit log), not only a failed run's.")
    var keep = false

    func validate() throws {
        for (flag, value) in [("--tasks", tasks), ("--parallelism", parallelism), ("--batch", batch), ("--backlog", backlog)] {
            guard value > 0 else { throw ValidationError("\(flag) must be positive, not \(value)") }
        }
        guard backlog >= batch else { throw ValidationError("--backlog (\(backlog)) must be at least --batch (\(batch))") }
    }

    func run() async throws {
        let binary = try taskpod ?? BuiltBinary.locate(BuiltBinary.taskpod)
        let directory = try TemporaryDirectory(prefix: "taskpod-soak")
        let info = ProcessInfo.processInfo
        say("SoakBenchmark: \(tasks) tasks, --parallelism \(parallelism), batches of \(batch), backlog \(backlog); taskpod at \(binary)")
        say("machine: \(info.activeProcessorCount) cores, \(info.physicalMemory >> 20) MiB; files in \(directory.path)")
        let run = SoakRun(
            tasks: tasks, parallelism: parallelism, batch: batch, backlog: backlog, taskpod: binary, kubesim: kubesim,
            directory: directory.path, limits: SoakLimits(maxRSSMiB: maxRSSMiB, maxGrowthPercent: maxGrowthPercent),
            say: say)
        let report: SoakReport
        do {
            report = try await run.run()
        } catch {
            say("FAIL: the soak run did not finish: \(error)\nits files are kept in \(directory.path)")
            throw ExitCode(1)
        }
        print(report.table)
        if let json {
            try report.write(json: json)
            say("report written to \(json)")
        }
        if report.passed, !keep {
            directory.remove()
        } else {
            say("files kept in \(directory.path)")
        }
        if !report.passed {
            for check in report.checks where !check.passed { say("FAIL: \(check.name): \(check.detail)") }
            throw ExitCode(1)
        }
    }
}

/// Progress and failures, on standard error (the report goes to standard output).
@Sendable func say(_ line: String) {
    FileHandle.standardError.write(Data("[soak] \(line)\n".utf8))
}
