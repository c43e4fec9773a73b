import Foundation
import KubeSimTestKit
import TestSupport
import JSON
import KubeClient
import Logging
import TaskStore

/// How long a controller takes to adopt a dead peer's Pods: `pods` long-running tasks are launched by controller A,
/// A is killed with SIGKILL, and once its heartbeat has lapsed controller B starts; the clock runs from B's start
/// until every Pod carries `airflow-worker=B` and the store gives B every task.
public enum AdoptionBenchmark {
    public struct Result: Sendable, CustomStringConvertible {
        public var pods: Int
        public var database: ChaosDatabase.Kind
        /// Until A had every Pod running.
        public var secondsToLaunch: Double
        /// From B's process start until every Pod was relabelled to B.
        public var secondsToRelabel: Double
        /// From B's process start until the store gave B every task.
        public var secondsToReassign: Double
        /// B's own log line (pods, tasks, duration of its adoption pass).
        public var reportedPass: String?
        /// Tasks B holds, still running, at the end (should be `pods`).
        public var tasksHeldByAdopter: Int

        public var description: String {
            "adoption of \(pods) orphaned Pods (\(database)): relabelled \(seconds(secondsToRelabel)) and reassigned "
                + "\(seconds(secondsToReassign)) after the adopter started; launch took \(seconds(secondsToLaunch)); "
                + "\(tasksHeldByAdopter)/\(pods) tasks held by the adopter"
                + (reportedPass.map { "; its own log: \($0)" } ?? "")
        }
    }

    /// Runs the benchmark once.
    ///
    /// - Throws: ``HarnessError`` when the harness cannot run or a step times out.
    public static func run(
        pods: Int, database kind: ChaosDatabase.Kind = .sqlite, binary: String? = nil, verbose: Bool = false,
        logger: Logger = .test("adoption")
    ) async throws -> Result {
        let binary = try binary ?? BuiltBinary.locate(BuiltBinary.taskpod)
        let directory = NSTemporaryDirectory() + "taskpod-adoption-\(pods)-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try await ChaosDatabase.make(kind, directory: directory, name: "adoption\(pods)")
        let sim: SimProcess
        do {
            sim = try await SimProcess.start(directory: directory)
        } catch {
            await database.drop(directory: directory)
            throw error
        }
        var children: [ChildProcess] = []
        var opened: TaskStore?
        func say(_ text: String) {
            if verbose { FileHandle.standardError.write(Data("[adoption \(pods)] \(text)\n".utf8)) }
        }
        do {
            let store = try await TaskStore.open(database.url, logger: logger)
            opened = store
            let client = try sim.client(logger: logger)
            for index in 0..<pods {
                let key = TaskKey(dagID: "adoption", taskID: "t\(index)", runID: "bench")
                let spec = TaskSpec(
                    command: ["chaos-task"],
                    podOverride: ["metadata": ["annotations": ["kubesim.taskpod.io/run-seconds": "3600"]]])
                _ = try await store.submit(key: key, spec: spec)
            }
            var settings = ControllerSettings()
            settings.parallelism = pods
            settings.qps = 2000
            settings.burst = 4000
            settings.pendingTimeout = 0
            settings.logLevel = "notice"
            // Followed logs each hold one of the client's 64 connections to the (plain HTTP/1.1) simulator for as long
            // as their Pod runs; with hundreds of long-running Pods they would take every connection and stall the
            // controller (a finding of this suite). Adoption is measured without them.
            settings.extraArguments = ["--follow-logs", "false"]
            func start(_ id: String) throws -> ChildProcess {
                let child = try ChildProcess.start(
                    name: "controller \(id)", executable: binary,
                    arguments: settings.arguments(
                        database: database.url, kubeconfig: sim.kubeconfigPath, id: id, leaderElection: false),
                    outputPath: directory + "/controller-\(id).log")
                children.append(child)
                return child
            }

            let launchStart = ContinuousClock.now
            let first = try start("bench-a")
            try await waitUntil("A runs all \(pods) tasks", timeout: .seconds(60 + Double(pods) / 10), process: first) {
                (try await store.counts()[.running] ?? 0) == pods
            }
            let secondsToLaunch = (ContinuousClock.now - launchStart).inSeconds
            say("\(pods) Pods running after \(seconds(secondsToLaunch))")

            await first.killAndWait()
            // B adopts on its first pass once A's last recorded heartbeat is older than the timeout: wait until then,
            // counted from that heartbeat in the store (A is dead, so it is the last), not from the kill.
            let lastBeat = try await store.controllers().first { $0.id == "bench-a" }?.heartbeatAt
            guard let lastBeat else { throw HarnessError("controller bench-a never registered in the store") }
            let lapse = lastBeat + Double(settings.heartbeatTimeout) + 0.5 - Date().timeIntervalSince1970
            if lapse > 0 { try await Task.sleep(for: .seconds(lapse)) }
            let second = try start("bench-b")
            let adopterStart = second.startedAt
            var relabelled: Double?
            var reassigned: Double?
            try await waitUntil("B adopts \(pods) Pods", timeout: .seconds(120 + Double(pods) / 10), process: second) {
                if relabelled == nil {
                    let left = try await client.listAllPods(namespace: nil, labelSelector: "airflow-worker=bench-a").items.count
                    if left == 0 { relabelled = (ContinuousClock.now - adopterStart).inSeconds }
                }
                if reassigned == nil {
                    let held = try await store.tasks(controllerID: "bench-b", in: [.queued, .launched, .running]).count
                    if held == pods { reassigned = (ContinuousClock.now - adopterStart).inSeconds }
                }
                return relabelled != nil && reassigned != nil
            }
            let held = try await store.tasks(controllerID: "bench-b", in: [.running]).count
            let result = Result(
                pods: pods, database: kind, secondsToLaunch: secondsToLaunch, secondsToRelabel: relabelled ?? 0,
                secondsToReassign: reassigned ?? 0, reportedPass: reportedPass(second.output()),
                tasksHeldByAdopter: held)
            for child in children { await child.killAndWait() }
            await sim.stop()
            try? await store.close()
            await database.drop(directory: directory)
            return result
        } catch {
            for child in children { await child.killAndWait() }
            await sim.stop()
            try? await opened?.close()
            await database.drop(directory: directory)
            throw error
        }
    }

    static func waitUntil(
        _ what: String, timeout: Duration, process: ChildProcess, _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return }
            if let status = process.status {
                throw HarnessError("\(process.name) ended (\(status)) before \(what); its output ends with:\n\(process.outputTail())")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessError("timed out after \(timeout) waiting until \(what)")
    }

    static func reportedPass(_ output: String) -> String? {
        guard let line = output.split(separator: "\n").first(where: { $0.contains("adopted a dead controller's work") })
        else { return nil }
        // `<time> notice taskpod: controller.peer=… duration=… pods=… tasks=… [TaskPod] adopted …`: the metadata.
        guard let start = line.range(of: "controller.peer=") else { return String(line) }
        let end = line.range(of: " [TaskPod]")?.lowerBound ?? line.endIndex
        return String(line[start.lowerBound..<max(start.lowerBound, end)])
    }
}
