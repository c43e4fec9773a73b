import Foundation
import KubeSimTestKit
import TestSupport
import KubeClient
import Logging
import Synchronization
import TaskStore

/// One chaos run: KubeSim and the controllers in their own processes, the scenario's tasks submitted through the
/// store, controllers killed with SIGKILL at seeded random moments and restarted, API faults injected; then the
/// invariants checked from the store, the audit log and the task logs.
///
/// ```swift
/// var configuration = ChaosConfiguration(name: "kills", seed: 7)
/// configuration.taskCount = 80
/// configuration.kills = 3
/// let report = try await ChaosRun(configuration).run()
/// #expect(report.passed, "\(report)")
/// ```
public final class ChaosRun: Sendable {
    public let configuration: ChaosConfiguration
    let logger: Logger
    let state: Mutex<RunState>

    /// A controller process of the run.
    struct Controller: Sendable {
        var id: String
        var process: ChildProcess
    }

    struct RunState {
        var report: ChaosReport
        var controllers: [Controller] = []
        /// Processes the harness ended on purpose: any other end is a crash.
        var endedOnPurpose: Set<Int32> = []
        var crashesReported: Set<Int32> = []
        var progress: Double = 0
        var inFlight: Int = 0
        var finished = false
        var nextIdentity = 1
        /// Whether the fault plan's faults were set, and its downtime started (evidence that they were tested).
        var faultsApplied = false
        var downtimeDone = false
    }

    /// What every part of a run shares, once set up.
    struct Context: Sendable {
        let binary: String
        let directory: String
        let database: ChaosDatabase
        let sim: SimProcess
        let store: TaskStore
        let client: KubeClient
        let plans: [ChaosTaskPlan]
        let start: ContinuousClock.Instant
    }

    public init(_ configuration: ChaosConfiguration, logger: Logger = .test("chaos")) {
        self.configuration = configuration
        self.logger = logger
        state = Mutex(RunState(report: ChaosReport(
            name: configuration.name, seed: configuration.seed, database: configuration.database,
            taskCount: configuration.taskCount, plannedKills: configuration.kills)))
    }

    /// Runs the scenario and checks the invariants.
    ///
    /// - Returns: the report; its ``ChaosReport/violations`` list what broke.
    /// - Throws: ``HarnessError`` when the harness itself cannot run (no `taskpod` binary, no PostgreSQL server, a
    ///   simulator that does not start).
    public func run() async throws -> ChaosReport {
        let binary = try configuration.binary ?? BuiltBinary.locate(BuiltBinary.taskpod)
        let directory = try makeDirectory()
        let database: ChaosDatabase
        do {
            database = try await ChaosDatabase.make(configuration.database, directory: directory, name: configuration.name)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        var sim: SimProcess?
        var store: TaskStore?
        var report: ChaosReport?
        do {
            let started = try await SimProcess.start(directory: directory)
            sim = started
            let opened = try await TaskStore.open(database.url, logger: logger)
            store = opened
            let plans = ChaosTaskPlan.scenario(
                count: configuration.taskCount, seed: configuration.seed, runID: "chaos-\(configuration.seed)",
                mix: configuration.mix, settings: configuration.controller)
            let context = Context(
                binary: binary, directory: directory, database: database, sim: started, store: opened,
                client: try started.client(logger: logger), plans: plans, start: .now)
            report = try await execute(context)
        } catch {
            await killEveryController()
            await sim?.stop()
            try? await store?.close()
            await database.drop(directory: directory)
            if configuration.artifacts == .never { try? FileManager.default.removeItem(atPath: directory) }
            throw error
        }
        await killEveryController()
        await sim?.stop()
        try? await store?.close()
        await database.drop(directory: directory)
        guard var report else { throw HarnessError("the run ended without a report") }
        let keep = configuration.artifacts == .always || (configuration.artifacts == .onFailure && !report.passed)
        if keep {
            report.artifacts = directory
            let text = report.render(maxViolations: .max) + "\n"
            _ = FileManager.default.createFile(atPath: directory + "/report.txt", contents: Data(text.utf8))
        } else {
            try? FileManager.default.removeItem(atPath: directory)
        }
        return report
    }

    func makeDirectory() throws -> String {
        let parent = configuration.parentDirectory ?? NSTemporaryDirectory()
        let safe = String(configuration.name.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "-" })
        let path = (parent as NSString).appendingPathComponent("taskpod-chaos-\(safe)-\(configuration.seed)-\(UUID().uuidString.prefix(6))")
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw HarnessError("cannot make the run's folder \(path): \(error)")
        }
        return path
    }

    /// Submits, starts the controllers, drives kills and faults until every task ended, settles, checks.
    func execute(_ context: Context) async throws -> ChaosReport {
        for plan in context.plans {
            _ = try await context.store.submit(key: plan.key, spec: plan.spec)
        }
        state.withLock { state in
            for plan in context.plans { state.report.outcomes[plan.outcome, default: 0] += 1 }
        }
        say("submitted \(context.plans.count) tasks (seed \(configuration.seed), \(configuration.database))")
        if configuration.leaderElection {
            try startController(id: nextIdentity(), context)
            try startController(id: nextIdentity(), context)
        } else {
            try startController(id: nextIdentity(), context)
        }

        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.killDriver(context) }
            if let faults = configuration.faults {
                group.addTask { await self.faultDriver(faults, context) }
            }
            await monitor(context)
            state.withLock { $0.finished = true }
            group.cancelAll()
        }
        let elapsed = (ContinuousClock.now - context.start).inSeconds
        state.withLock { $0.report.secondsToFinish = elapsed }
        say("tasks ended after \(seconds(elapsed)); settling")

        if configuration.faults != nil { await clearFaults(context) }
        // Someone has to clean up: restart a controller when the last one was just killed.
        if !state.withLock({ $0.controllers.contains { $0.process.isRunning } }) {
            _ = try? startController(id: nextIdentity(), context)
        }
        let pods = await settle(context)
        checkCrashes()
        await stopControllers()
        await context.sim.stop()

        let audit = try AuditLogFile(path: context.sim.auditLogPath)
        let violations = try await ChaosInvariants.check(
            plans: context.plans, store: context.store, audit: audit, pods: pods)
        let counts = try await context.store.counts()
        return state.withLock { state in
            state.report.violations += violations
                + ChaosInvariants.killViolations(planned: configuration.kills, kills: state.report.kills)
                + ChaosInvariants.faultViolations(
                    plan: configuration.faults, applied: state.faultsApplied, downtimeDone: state.downtimeDone)
            state.report.requests = audit.summary
            state.report.finalStates = counts
            return state.report
        }
    }

    // MARK: controllers

    func nextIdentity() -> String {
        let prefix = configuration.leaderElection ? "ha" : "chaos"
        return state.withLock { state in
            defer { state.nextIdentity += 1 }
            return "\(prefix)-\(state.nextIdentity)"
        }
    }

    @discardableResult
    func startController(id: String, _ context: Context) throws -> Controller {
        let generation = state.withLock { state in state.controllers.filter { $0.id == id }.count + 1 }
        let process = try ChildProcess.start(
            name: "controller \(id)#\(generation)", executable: context.binary,
            arguments: configuration.controller.arguments(
                database: context.database.url, kubeconfig: context.sim.kubeconfigPath, id: id,
                leaderElection: configuration.leaderElection),
            outputPath: context.directory + "/controller-\(id)-\(generation).log")
        let controller = Controller(id: id, process: process)
        state.withLock { $0.controllers.append(controller) }
        say("started controller \(id)#\(generation) (pid \(process.pid))")
        return controller
    }

    /// SIGKILLs a controller on purpose.
    func kill(_ controller: Controller) async -> ChildProcess.ExitStatus {
        state.withLock { _ = $0.endedOnPurpose.insert(controller.process.pid) }
        return await controller.process.killAndWait()
    }

    var liveControllers: [Controller] {
        state.withLock { $0.controllers.filter { $0.process.isRunning } }
    }

    /// Records a violation for every controller that ended without the harness ending it.
    func checkCrashes() {
        state.withLock { state in
            for controller in state.controllers {
                guard let status = controller.process.status, !state.endedOnPurpose.contains(controller.process.pid),
                    state.crashesReported.insert(controller.process.pid).inserted
                else { continue }
                state.report.violations.append(ChaosViolation(
                    .controllerCrash, task: nil,
                    "\(controller.process.name) ended on its own (\(status)); its output ends with:\n"
                        + controller.process.outputTail(lines: 15)))
            }
        }
    }

    /// Stops the live controllers with SIGTERM; one that does not exit 0 is a violation.
    func stopControllers() async {
        for controller in liveControllers {
            state.withLock { _ = $0.endedOnPurpose.insert(controller.process.pid) }
            let status = await controller.process.stop(grace: .seconds(15))
            if status != .exited(0) {
                state.withLock { state in
                    state.report.violations.append(ChaosViolation(
                        .controllerCrash, task: nil,
                        "\(controller.process.name) ended with \(status) on SIGTERM instead of exit code 0; its output ends with:\n"
                            + controller.process.outputTail(lines: 15)))
                }
            }
        }
    }

    func killEveryController() async {
        for controller in liveControllers { _ = await kill(controller) }
    }

    // MARK: progress

    /// Polls the store until every task ended or the timeout passed.
    func monitor(_ context: Context) async {
        let deadline = context.start + configuration.timeout
        var lastSaid = ContinuousClock.now
        var lastFinal = -1
        var lastChange = ContinuousClock.now
        while ContinuousClock.now < deadline {
            checkCrashes()
            if let counts = try? await context.store.counts() {
                let final = (counts[.success] ?? 0) + (counts[.failed] ?? 0) + (counts[.cancelled] ?? 0)
                let inFlight = (counts[.launched] ?? 0) + (counts[.running] ?? 0)
                let total = max(1, context.plans.count)
                state.withLock { state in
                    state.progress = Double(final) / Double(total)
                    state.inFlight = inFlight
                }
                if final >= context.plans.count { return }
                let killsDone = state.withLock { $0.report.kills.count >= configuration.kills }
                if final != lastFinal || !killsDone {
                    lastFinal = final
                    lastChange = .now
                } else if ContinuousClock.now - lastChange >= configuration.stallTimeout {
                    say("no task ended for \(configuration.stallTimeout); \(context.plans.count - final) tasks are stuck")
                    state.withLock { $0.report.faultNotes.append("stopped waiting: no task ended for \(configuration.stallTimeout)") }
                    return
                }
                if ContinuousClock.now - lastSaid >= .seconds(5) {
                    lastSaid = .now
                    say("\(seconds((ContinuousClock.now - context.start).inSeconds)): \(final)/\(total) ended, \(inFlight) in flight, "
                        + "\(counts[.queued] ?? 0) queued")
                }
            }
            do {
                try await Task.sleep(for: .milliseconds(200))
            } catch {
                return
            }
        }
        say("timed out after \(configuration.timeout)")
    }

    var progress: (done: Double, inFlight: Int, finished: Bool) {
        state.withLock { ($0.progress, $0.inFlight, $0.finished) }
    }

    /// Waits until no live Pod (without `airflow_executor_done=True`) is left, at most 30 s; returns the last
    /// answer: the Pods left, or the error of a list that failed (never an empty list in its place).
    func settle(_ context: Context) async -> ChaosInvariants.PodListing {
        let deadline = ContinuousClock.now + .seconds(30)
        var listing = ChaosInvariants.PodListing.failed("no list was made")
        repeat {
            do {
                let pods = try await context.client.listAllPods(namespace: nil, labelSelector: "airflow_executor_done!=True")
                listing = .listed(pods.items.map { "\($0.namespace)/\($0.name)" })
                if pods.items.isEmpty { return listing }
            } catch {
                listing = .failed("\(error)")
            }
            // Polls the condition; a cancelled run ends the wait.
            do { try await Task.sleep(for: .milliseconds(250)) } catch { return listing }
        } while ContinuousClock.now < deadline
        return listing
    }

    func say(_ line: String) {
        guard configuration.verbose else { return }
        FileHandle.standardError.write(Data("[chaos \(configuration.name)] \(line)\n".utf8))
    }
}
