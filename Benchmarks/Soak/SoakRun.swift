import Foundation
import JSON
import KubeClient
import KubeSimTestKit
import Logging
import Synchronization
import TaskStore
import TestSupport

/// One soak run: `kubesim --mode scripted` and one `taskpod controller` in their own processes on a SQLite file;
/// tasks whose Pods end at once are submitted through the store, kept `backlog` ahead of the finished ones, while
/// the controller's RSS and CPU time are read every second until every task has ended.
struct SoakRun: Sendable {
    var tasks: Int
    var parallelism: Int
    /// Tasks submitted at a time.
    var batch: Int
    /// At most this many tasks submitted and not finished yet.
    var backlog: Int
    var taskpod: String
    var kubesim: String?
    var directory: String
    var limits: SoakLimits
    /// A run where no task finishes for this long fails.
    var stallTimeout: Duration = .seconds(120)
    var say: @Sendable (String) -> Void

    /// Submitted and finished tasks, shared by the submitter and the sampler.
    private struct Progress {
        var submitted = 0
        var finished = 0
        /// Why the submitter stopped early; the sampler ends the run with it.
        var failure: (any Error)?
    }

    /// A task's Pod: no wait in `ContainerCreating`, no run time.
    static let spec = TaskSpec(
        command: ["soak-task"],
        podOverride: ["metadata": ["annotations": [
            "kubesim.taskpod.io/run-seconds": "0", "kubesim.taskpod.io/start-seconds": "0",
        ]]])

    func controllerArguments(database: String, kubeconfig: String) -> [String] {
        [
            "controller", "--db", database, "--kubeconfig", kubeconfig, "--controller-id", "soak",
            "--parallelism", "\(parallelism)", "--qps", "100000", "--burst", "100000", "--task-queued-timeout", "0",
            "--log-level", "warning",
        ]
    }

    /// Runs it; every process it started is stopped before it returns or throws.
    func run() async throws -> SoakReport {
        var logger = Logger(label: "soak")
        logger.logLevel = .warning
        let sim = try await SimProcess.start(binary: kubesim, directory: directory)
        say("kubesim listening on \(sim.baseURL)")
        return try await Self.stopping({ await sim.stop() }) {
            let database = directory + "/soak.sqlite"
            let store = try await TaskStore.open(database, logger: logger)
            return try await Self.stopping({ try? await store.close() }) {
                let controller = try ChildProcess.start(
                    name: "controller", executable: taskpod,
                    arguments: controllerArguments(database: database, kubeconfig: sim.kubeconfigPath),
                    outputPath: directory + "/controller.log")
                say("controller started (pid \(controller.pid), --parallelism \(parallelism))")
                return try await Self.stopping({ await controller.stop(grace: .seconds(10)) }) {
                    try await drive(store: store, controller: controller)
                }
            }
        }
    }

    /// Runs `body`, then `stop`, whether `body` threw or not.
    static func stopping<T>(_ stop: () async -> Void, _ body: () async throws -> T) async throws -> T {
        let result: Result<T, any Error>
        do {
            result = .success(try await body())
        } catch {
            result = .failure(error)
        }
        await stop()
        return try result.get()
    }

    private func drive(store: TaskStore, controller: ChildProcess) async throws -> SoakReport {
        let progress = Mutex(Progress())
        async let submitting: Void = submit(store: store, progress: progress)
        let (samples, counts) = try await sample(store: store, controller: controller, progress: progress)
        try await submitting
        return SoakReport(
            tasks: tasks, parallelism: parallelism, succeeded: counts[.success] ?? 0,
            failed: (counts[.failed] ?? 0) + (counts[.cancelled] ?? 0), samples: samples, limits: limits)
    }

    /// Submits `batch` tasks whenever fewer than `backlog` are submitted and not finished, until all are.
    private func submit(store: TaskStore, progress: borrowing Mutex<Progress>) async throws {
        do {
            try await submitBatches(store: store, progress: progress)
        } catch {
            progress.withLock { $0.failure = error }
            throw error
        }
    }

    private func submitBatches(store: TaskStore, progress: borrowing Mutex<Progress>) async throws {
        let runID = "soak-\(Int(Date().timeIntervalSince1970))"
        var submitted = 0
        while submitted < tasks {
            let finished = progress.withLock { $0.finished }
            guard submitted - finished < backlog else {
                try await Task.sleep(for: .milliseconds(100))
                continue
            }
            let end = min(tasks, submitted + batch)
            for index in submitted..<end {
                _ = try await store.submit(key: TaskKey(dagID: "soak", taskID: "task-\(index)", runID: runID), spec: Self.spec)
            }
            submitted = end
            progress.withLock { $0.submitted = submitted }
        }
    }

    /// Reads the controller's RSS and CPU time and the store's counts once a second until every task ended.
    private func sample(
        store: TaskStore, controller: ChildProcess, progress: borrowing Mutex<Progress>
    ) async throws -> ([SoakReport.Sample], [TaskState: Int]) {
        let start = ContinuousClock.now
        var samples: [SoakReport.Sample] = []
        var lastFinished = (count: 0, at: start)
        for tick in 1... {
            try await Task.sleep(until: start + .seconds(tick))
            guard let reading = ProcessSample.read(pid: controller.pid), controller.isRunning else {
                throw HarnessError("the controller ended (\(controller.status.map { "\($0)" } ?? "gone")); its output ends with:\n"
                    + controller.outputTail())
            }
            let counts = try await store.counts()
            let finished = counts.filter(\.key.isFinal).values.reduce(0, +)
            let (submitted, failure) = progress.withLock { progress in
                progress.finished = finished
                return (progress.submitted, progress.failure)
            }
            if let failure { throw HarnessError("submitting tasks failed after \(submitted): \(failure)") }
            let now = ContinuousClock.now
            samples.append(SoakReport.Sample(
                seconds: (now - start).inSeconds, finished: finished, rssBytes: reading.rssBytes, cpuSeconds: reading.cpuSeconds))
            if tick % 10 == 0 {
                say(String(format: "%4d s: %d submitted, %d finished, RSS %.1f MiB, CPU %.1f s", tick, submitted, finished,
                           Double(reading.rssBytes) / Double(1 << 20), reading.cpuSeconds))
            }
            if finished >= tasks { return (samples, counts) }
            if finished > lastFinished.count {
                lastFinished = (finished, now)
            } else if now - lastFinished.at > stallTimeout {
                throw HarnessError("no task finished for \(stallTimeout) (\(finished) of \(tasks), states \(counts)); "
                    + "the controller's output ends with:\n\(controller.outputTail())")
            }
        }
        preconditionFailure("unreachable")
    }
}
