import KubeSimTestKit
import TestSupport
import JSON
import KubeClient
import Synchronization

extension ChaosRun {
    /// Injects the plan's faults: from the start 5xx at the error rate, watch drops and a shrunk history window;
    /// 429 storms with `Retry-After` at random intervals; one API downtime once enough tasks ended.
    func faultDriver(_ plan: ChaosFaultPlan, _ context: Context) async {
        var random = SeededRandom.derived(from: configuration.seed, "faults")
        let base: JSONValue = [
            "errors": [
                ["verb": "*", "rate": .double(plan.errorRate / 2), "code": 500],
                ["verb": "*", "rate": .double(plan.errorRate / 2), "code": 503],
            ],
            "dropWatchesEverySeconds": .double(plan.dropWatchesEvery),
            "historyWindow": .int(Int64(plan.historyWindow)),
            "throttle": nil,
            "downtimeSeconds": nil,
        ]
        guard await setFaults(base, context, replacing: true) else { return }
        state.withLock { $0.faultsApplied = true }
        note("\(Int(plan.errorRate * 100))% of requests 500/503, watches dropped every \(plan.dropWatchesEvery) s, "
            + "history window \(plan.historyWindow) events")
        var storms = 0
        var downtimeDone = plan.downtimeSeconds <= 0
        defer { note("\(storms) 429 storms of \(plan.throttleSeconds) s (Retry-After \(plan.retryAfterSeconds) s)") }
        while !Task.isCancelled {
            let pause = Double.random(in: plan.throttleEvery, using: &random)
            let wake = ContinuousClock.now + .seconds(pause)
            // Wake early for the downtime.
            while ContinuousClock.now < wake {
                if !downtimeDone, progress.done >= plan.downtimeAtProgress { break }
                do { try await Task.sleep(for: .milliseconds(100)) } catch { return }
            }
            if !downtimeDone, progress.done >= plan.downtimeAtProgress {
                downtimeDone = true
                let at = (ContinuousClock.now - context.start).inSeconds
                guard await setFaults(["downtimeSeconds": .double(plan.downtimeSeconds), "throttle": nil], context) else { continue }
                state.withLock { $0.downtimeDone = true }
                note("API down for \(plan.downtimeSeconds) s from \(seconds(at)) (\(Int(progress.done * 100))% done)")
                say("API down for \(plan.downtimeSeconds) s")
                // Not cancellable: the server must be told to forget the downtime before the next change.
                await sleepIgnoringCancellation(for: .seconds(plan.downtimeSeconds + 0.5))
                let back = ContinuousClock.now + .seconds(30)
                while ContinuousClock.now < back {
                    if await setFaults(["downtimeSeconds": nil], context, quiet: true) { break }
                    await sleepIgnoringCancellation(for: .milliseconds(250))
                }
                continue
            }
            let storm: JSONValue = [
                "throttle": [
                    "seconds": .double(plan.throttleSeconds), "retryAfterSeconds": .int(Int64(plan.retryAfterSeconds)),
                ],
                "downtimeSeconds": nil,
            ]
            if await setFaults(storm, context) { storms += 1 }
        }
    }

    /// Turns every fault off (retrying while the server is down).
    func clearFaults(_ context: Context) async {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if await setFaults([:], context, replacing: true, quiet: true) { return }
            // Not cancellable either: a run must not leave its faults behind.
            await sleepIgnoringCancellation(for: .milliseconds(250))
        }
        note("could not clear the faults")
    }

    func setFaults(_ faults: JSONValue, _ context: Context, replacing: Bool = false, quiet: Bool = false) async -> Bool {
        do {
            try await context.sim.setFaults(faults, replacing: replacing)
            return true
        } catch {
            if !quiet { note("\(error)") }
            return false
        }
    }

    func note(_ text: String) {
        state.withLock { $0.report.faultNotes.append(text) }
    }
}
