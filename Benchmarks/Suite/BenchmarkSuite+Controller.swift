import Foundation
import JSON
import KubeClient
import KubeSimTestKit
import Logging
import TaskStore
import TestSupport

extension BenchmarkSuite {
    /// A task whose Pod runs `runSeconds` after KubeSim's scheduling delay, without time in ContainerCreating.
    static func spec(runSeconds: Int) -> TaskSpec {
        TaskSpec(
            command: ["bench-task"],
            podOverride: ["metadata": ["annotations": [
                "kubesim.taskpod.io/run-seconds": .string(String(runSeconds)), "kubesim.taskpod.io/start-seconds": "0",
            ]]])
    }

    /// Submits `count` tasks into the store in batches.
    static func submit(_ count: Int, runSeconds: Int, into store: TaskStore, run: String) async throws {
        var index = 0
        while index < count {
            let end = min(count, index + TaskStore.maxBatchSize)
            let batch = (index..<end).map {
                TaskSubmission(key: TaskKey(dagID: "bench", taskID: "task-\($0)", runID: run), spec: spec(runSeconds: runSeconds))
            }
            _ = try await store.submit(batch: batch)
            index = end
        }
    }

    /// Opens a SQLite store at `path`, runs `body` with it, closes it.
    static func withStore<T>(_ path: String, _ body: (TaskStore) async throws -> T) async throws -> T {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let store = try await TaskStore.open(path, logger: logger)
        let result: Result<T, any Error>
        do {
            result = .success(try await body(store))
        } catch {
            result = .failure(error)
        }
        try? await store.close()
        return try result.get()
    }

    /// `taskpod controller` on the store, unpaced (the client's QPS lifted), with the rest of its defaults.
    func startController(sim: SimProcess, database: String, folder: String, parallelism: Int) throws -> ChildProcess {
        try ChildProcess.start(
            name: "controller", executable: taskpod,
            arguments: [
                "controller", "--db", database, "--kubeconfig", sim.kubeconfigPath, "--controller-id", "bench",
                "--parallelism", "\(parallelism)", "--qps", "100000", "--burst", "100000", "--task-queued-timeout", "0",
                "--log-level", "warning",
            ],
            outputPath: folder + "/controller.log")
    }

    /// Polls the store until `done` says the counts are there; throws when the controller ends or nothing moves for
    /// two minutes.
    static func waitFor(
        store: TaskStore, controller: ChildProcess, _ done: ([TaskState: Int]) -> Bool
    ) async throws -> [TaskState: Int] {
        var last: [TaskState: Int] = [:]
        var lastChange = ContinuousClock.now
        while true {
            let counts = try await store.counts()
            if done(counts) { return counts }
            guard controller.isRunning else {
                throw HarnessError("the controller ended (\(controller.status.map { "\($0)" } ?? "?")): \(controller.outputTail())")
            }
            if counts != last {
                last = counts
                lastChange = .now
            } else if ContinuousClock.now - lastChange > .seconds(120) {
                throw HarnessError("no progress for 2 minutes (states \(counts)); the controller's output ends with:\n"
                    + controller.outputTail())
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// N queued tasks run to their end by one controller, per size in ``Sizes/queued``.
    func controller(ceiling: BenchmarkFigure?) async throws -> [BenchmarkFigure] {
        var figures: [BenchmarkFigure] = []
        for count in sizes.queued {
            var rates: [Double] = [], ratios: [Double] = [], cpu: [Double] = [], rss: [Double] = [], simCPU: [Double] = []
            for round in 0..<sizes.rounds {
                let name = "controller-\(count)-\(round)"
                let (seconds, controllerSample, peak, simSample) = try await withSim(name) { sim in
                    let folder = directory + "/" + name
                    return try await Self.withStore(folder + "/bench.sqlite") { store in
                    try await Self.submit(count, runSeconds: 0, into: store, run: name)
                    let simBefore = ProcessSample.read(pid: sim.process.pid)?.cpuSeconds ?? 0
                    let controller = try startController(
                        sim: sim, database: folder + "/bench.sqlite", folder: folder, parallelism: sizes.parallelism)
                    return try await controller.stoppingAfter(grace: .seconds(10)) {
                        let start = ContinuousClock.now
                        let counts = try await Self.waitFor(store: store, controller: controller) {
                            $0.filter(\.key.isFinal).values.reduce(0, +) >= count
                        }
                        let seconds = (ContinuousClock.now - start).inSeconds
                        guard counts[.success] == count else { throw HarnessError("not every task succeeded: \(counts)") }
                        guard let sample = ProcessSample.read(pid: controller.pid),
                              let peak = ProcessSample.peakRSSBytes(pid: controller.pid),
                              let simAfter = ProcessSample.read(pid: sim.process.pid)
                        else { throw HarnessError("cannot read /proc of the controller or the simulator") }
                        return (seconds, sample, peak, simAfter.cpuSeconds - simBefore)
                    }
                    }
                }
                let rate = Double(count) / seconds
                rates.append(rate)
                if let ceiling { ratios.append(rate / ceiling.median) }
                cpu.append(controllerSample.cpuSeconds * 1000 / Double(count))
                rss.append(Double(peak) / Double(1 << 20))
                simCPU.append(simSample * 1000 / Double(count))
                say(String(format: "controller, %d queued, round %d: %.0f Pods/s, %.2f ms CPU/task, peak RSS %.1f MiB",
                           count, round + 1, rate, cpu.last!, rss.last!))
            }
            let label = "\(count) queued, parallelism \(sizes.parallelism)"
            figures.append(BenchmarkFigure(section: "controller", name: "Pods/s, \(label)", unit: "Pods/s", values: rates))
            if !ratios.isEmpty {
                figures.append(BenchmarkFigure(
                    section: "controller", name: "ratio to bare creates/s at \(Self.controllerInFlight) in flight, \(count) queued",
                    unit: "×", values: ratios))
            }
            figures.append(BenchmarkFigure(section: "controller", name: "controller CPU per task, \(count) queued", unit: "ms", values: cpu))
            figures.append(BenchmarkFigure(section: "controller", name: "controller peak RSS, \(count) queued", unit: "MiB", values: rss))
            figures.append(BenchmarkFigure(section: "controller", name: "KubeSim CPU per task, \(count) queued", unit: "ms", values: simCPU))
        }
        return figures
    }

    /// N Pods that run for an hour, all watched by one controller: its RSS once every task runs and one resync
    /// interval (10 s) more, the steady state of N live Pods, and its peak RSS on the way there.
    func livePods() async throws -> [BenchmarkFigure] {
        let count = sizes.livePods
        var rss: [Double] = [], peaks: [Double] = [], seconds: [Double] = []
        for round in 0..<sizes.livePodsRounds {
            let name = "live-\(count)-\(round)"
            let (reading, peak, elapsed) = try await withSim(name) { sim in
                let folder = directory + "/" + name
                return try await Self.withStore(folder + "/bench.sqlite") { store in
                try await Self.submit(count, runSeconds: 3600, into: store, run: name)
                let controller = try startController(sim: sim, database: folder + "/bench.sqlite", folder: folder, parallelism: count)
                return try await controller.stoppingAfter(grace: .seconds(10)) {
                    let start = ContinuousClock.now
                    _ = try await Self.waitFor(store: store, controller: controller) { ($0[.running] ?? 0) >= count }
                    let elapsed = (ContinuousClock.now - start).inSeconds
                    try await Task.sleep(for: .seconds(11))
                    guard let reading = ProcessSample.read(pid: controller.pid),
                          let peak = ProcessSample.peakRSSBytes(pid: controller.pid)
                    else {
                        throw HarnessError("cannot read /proc of the controller")
                    }
                    return (reading, peak, elapsed)
                }
                }
            }
            rss.append(Double(reading.rssBytes) / Double(1 << 20))
            peaks.append(Double(peak) / Double(1 << 20))
            seconds.append(elapsed)
            say(String(format: "live Pods, %d running after %.1f s: controller RSS %.1f MiB (peak %.1f)",
                       count, elapsed, rss.last!, peaks.last!))
        }
        return [
            BenchmarkFigure(section: "live-pods", name: "controller RSS, \(count) live Pods watched", unit: "MiB", values: rss),
            BenchmarkFigure(section: "live-pods", name: "controller peak RSS, \(count) live Pods", unit: "MiB", values: peaks),
            BenchmarkFigure(section: "live-pods", name: "time to \(count) Pods running", unit: "s", values: seconds),
        ]
    }
}
