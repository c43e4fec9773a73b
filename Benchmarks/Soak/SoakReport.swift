import Foundation

/// What one soak run measured of the controller, and the checks on it.
struct SoakReport: Sendable, Codable {
    /// The controller's memory and CPU when `finished` tasks had reached a final state.
    struct Milestone: Sendable, Codable {
        var finished: Int
        var seconds: Double
        var rssBytes: Int
        var cpuSeconds: Double
    }

    struct Check: Sendable, Codable {
        var name: String
        var passed: Bool
        var detail: String
    }

    var tasks: Int
    var parallelism: Int
    var succeeded: Int
    var failed: Int
    var seconds: Double
    var milestones: [Milestone]
    var peakRSSBytes: Int
    var cpuSeconds: Double
    /// CPU seconds per 1,000 tasks over the whole run, and from the first milestone on (after warm-up).
    var cpuSecondsPer1000: Double
    var cpuSecondsPer1000AfterWarmUp: Double?
    /// RSS growth from the first milestone to the last, in percent.
    var rssGrowthPercent: Double?
    var checks: [Check]
    var samples: [Sample]

    /// One reading per second.
    struct Sample: Sendable, Codable {
        var seconds: Double
        var finished: Int
        var rssBytes: Int
        var cpuSeconds: Double
    }

    var passed: Bool { checks.allSatisfy(\.passed) }

    /// The milestones of a run of `tasks`: 10%, 20%, 40% and 100% (5,000 / 10,000 / 20,000 / 50,000 of 50,000).
    static func milestones(tasks: Int) -> [Int] {
        Array(Set([tasks / 10, tasks / 5, tasks * 2 / 5, tasks].filter { $0 > 0 })).sorted()
    }

    init(tasks: Int, parallelism: Int, succeeded: Int, failed: Int, samples: [Sample], limits: SoakLimits) {
        self.tasks = tasks
        self.parallelism = parallelism
        self.succeeded = succeeded
        self.failed = failed
        self.samples = samples
        seconds = samples.last?.seconds ?? 0
        milestones = Self.milestones(tasks: tasks).compactMap { target in
            samples.first { $0.finished >= target }.map {
                Milestone(finished: target, seconds: $0.seconds, rssBytes: $0.rssBytes, cpuSeconds: $0.cpuSeconds)
            }
        }
        peakRSSBytes = samples.map(\.rssBytes).max() ?? 0
        cpuSeconds = samples.last?.cpuSeconds ?? 0
        cpuSecondsPer1000 = cpuSeconds / Double(max(1, tasks)) * 1000
        if let first = milestones.first, let last = milestones.last, last.finished > first.finished {
            cpuSecondsPer1000AfterWarmUp = (last.cpuSeconds - first.cpuSeconds) / Double(last.finished - first.finished) * 1000
            rssGrowthPercent = Double(last.rssBytes - first.rssBytes) / Double(first.rssBytes) * 100
        }

        let mib = Double(1 << 20)
        var checks = [
            Check(name: "every task succeeded", passed: failed == 0 && succeeded == tasks,
                  detail: "\(succeeded) succeeded, \(failed) failed of \(tasks)"),
            Check(name: "peak RSS under \(limits.maxRSSMiB) MiB", passed: Double(peakRSSBytes) < Double(limits.maxRSSMiB) * mib,
                  detail: String(format: "peak %.1f MiB", Double(peakRSSBytes) / mib)),
        ]
        if let growth = rssGrowthPercent, let first = milestones.first, let last = milestones.last {
            checks.append(Check(
                name: "RSS growth \(first.finished)→\(last.finished) tasks under \(limits.maxGrowthPercent)%",
                passed: growth < Double(limits.maxGrowthPercent),
                detail: String(format: "%.1f MiB → %.1f MiB (%+.1f%%)", Double(first.rssBytes) / mib, Double(last.rssBytes) / mib, growth)))
        } else {
            checks.append(Check(name: "RSS growth measured", passed: false, detail: "fewer than two milestones were sampled"))
        }
        self.checks = checks
    }

    /// The table printed at the end of a run.
    var table: String {
        let mib = Double(1 << 20)
        var lines = [
            "tasks finished   time (s)   RSS (MiB)   CPU (s)",
        ]
        for milestone in milestones {
            lines.append(String(format: "%14d   %8.1f   %9.1f   %7.1f", milestone.finished, milestone.seconds,
                                Double(milestone.rssBytes) / mib, milestone.cpuSeconds))
        }
        lines.append(String(format: "peak RSS %.1f MiB; CPU %.1f s in all, %.2f s per 1,000 tasks", Double(peakRSSBytes) / mib,
                            cpuSeconds, cpuSecondsPer1000))
        if let warm = cpuSecondsPer1000AfterWarmUp {
            lines.append(String(format: "CPU per 1,000 tasks after the first milestone: %.2f s", warm))
        }
        lines.append(String(format: "throughput %.0f tasks/s over %.1f s", Double(tasks) / max(seconds, 0.001), seconds))
        for check in checks { lines.append("\(check.passed ? "PASS" : "FAIL") \(check.name): \(check.detail)") }
        return lines.joined(separator: "\n")
    }

    func write(json path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path))
    }
}

/// The bounds a soak run is held to.
struct SoakLimits: Sendable {
    var maxRSSMiB: Int
    var maxGrowthPercent: Int
}
