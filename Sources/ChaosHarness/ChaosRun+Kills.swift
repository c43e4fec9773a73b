import Synchronization
import Foundation
import KubeSimTestKit
import TestSupport
import KubeClient
import TaskStore

extension ChaosRun {
    /// One planned kill, drawn from the seed.
    struct KillPlan: Sendable {
        var progress: Double
        var uptime: Double
        var restartDelay: Double
        var newIdentity: Bool
    }

    func killPlans() -> [KillPlan] {
        var random = SeededRandom.derived(from: configuration.seed, "kills")
        return (0..<configuration.kills).map { _ in
            KillPlan(
                progress: Double.random(in: configuration.killProgress, using: &random),
                uptime: Double.random(in: configuration.uptimeBeforeKill, using: &random),
                restartDelay: Double.random(in: configuration.restartDelay, using: &random),
                newIdentity: Double.random(in: 0..<1, using: &random) < configuration.newIdentityShare)
        }.sorted { $0.progress < $1.progress }
    }

    /// Kills a controller (the leader, with leader election) with SIGKILL at each planned moment and restarts it;
    /// measures the adoptions that follow. Returns when the plan is done or the tasks all ended.
    func killDriver(_ context: Context) async {
        await withTaskGroup(of: Void.self) { measurements in
            for plan in killPlans() {
                guard let victim = await waitForVictim(plan, context) else { break }
                let (done, inFlight, _) = progress
                let status = await kill(victim)
                let at = (ContinuousClock.now - context.start).inSeconds
                let killedAt = ContinuousClock.now
                let unfinished = await unfinishedTasks(context)
                let orphans = await livePods(of: victim.id, context)
                say("killed \(victim.id) at \(seconds(at)) (\(Int(done * 100))% done, \(inFlight) in flight, "
                    + "\(unfinished.map(String.init) ?? "?") unfinished, \(orphans) Pods orphaned)")

                var restartedAs: String?
                if !configuration.leaderElection {
                    try? await Task.sleep(for: .seconds(plan.restartDelay))
                    let id = plan.newIdentity ? nextIdentity() : victim.id
                    if let adopter = try? startController(id: id, context) {
                        restartedAs = id
                        if id != victim.id, orphans > 0 {
                            measurements.addTask {
                                await self.measureAdoption(
                                    of: victim.id, pods: orphans, killedAt: killedAt, adopter: adopter.id,
                                    adopterStart: adopter.process.startedAt, context)
                            }
                        }
                    }
                } else {
                    if orphans > 0 {
                        measurements.addTask {
                            await self.measureAdoption(
                                of: victim.id, pods: orphans, killedAt: killedAt, adopter: nil, adopterStart: killedAt,
                                context)
                        }
                    }
                    // The killed replica comes back as the standby under a new id (a new Pod of a Deployment), so
                    // that the Pods still labelled with the old id are exactly those not adopted yet.
                    try? await Task.sleep(for: .seconds(plan.restartDelay))
                    let id = nextIdentity()
                    if (try? startController(id: id, context)) != nil { restartedAs = id }
                }
                state.withLock { state in
                    state.report.kills.append(ChaosReport.Kill(
                        at: at, controller: victim.id, progress: done, inFlight: inFlight, unfinished: unfinished,
                        orphanedPods: orphans, restartedAs: restartedAs, status: "\(status)"))
                }
            }
            await measurements.waitForAll()
        }
    }

    /// Waits for the moment of `plan`: enough tasks ended and the victim ran long enough. With leader election the
    /// victim is the Lease's holder. Nil when the tasks all ended first or the driver is cancelled.
    func waitForVictim(_ plan: KillPlan, _ context: Context) async -> Controller? {
        while !Task.isCancelled {
            let (done, _, finished) = progress
            if finished { return nil }
            if done >= plan.progress, let victim = await currentLeader(context),
                (ContinuousClock.now - victim.process.startedAt).inSeconds >= plan.uptime
            {
                return victim
            }
            do {
                try await Task.sleep(for: .milliseconds(100))
            } catch {
                return nil
            }
        }
        return nil
    }

    /// The controller doing the work: the only live one, or the live holder of the Lease.
    func currentLeader(_ context: Context) async -> Controller? {
        let live = liveControllers
        guard configuration.leaderElection else { return live.last }
        guard let lease = try? await context.client.lease(name: configuration.controller.leaseName, namespace: "default"),
            let holder = lease.spec.holderIdentity
        else { return nil }
        return live.last { $0.id == holder }
    }

    /// How many tasks are not final, from the store; nil when it cannot be read.
    func unfinishedTasks(_ context: Context) async -> Int? {
        guard let counts = try? await context.store.counts() else { return nil }
        return counts.filter { !$0.key.isFinal }.values.reduce(0, +)
    }

    /// How many live Pods carry `airflow-worker=<id>`.
    func livePods(of id: String, _ context: Context) async -> Int {
        let selector = "airflow-worker=\(id),airflow_executor_done!=True"
        return (try? await context.client.listAllPods(namespace: nil, labelSelector: selector).items.count) ?? 0
    }

    /// Polls until none of `id`'s live Pods is left with its label (a peer relabelled them), and records how long
    /// that took. Gives up after 120 s.
    func measureAdoption(
        of id: String, pods: Int, killedAt: ContinuousClock.Instant, adopter: String?,
        adopterStart: ContinuousClock.Instant, _ context: Context
    ) async {
        let deadline = killedAt + .seconds(120)
        while ContinuousClock.now < deadline {
            if await livePods(of: id, context) == 0 {
                let now = ContinuousClock.now
                let to = await adopterName(adopter, context)
                let record = ChaosReport.Adoption(
                    from: id, to: to, pods: pods, secondsFromKill: (now - killedAt).inSeconds,
                    secondsFromAdopterStart: (now - adopterStart).inSeconds, reportedPass: reportedAdoption(of: id))
                state.withLock { $0.report.adoptions.append(record) }
                say("\(pods) Pods of \(id) adopted by \(to) \(seconds(record.secondsFromKill)) after the kill")
                return
            }
            // Not cancellable: the adoption is measured to its end even when the tasks all end meanwhile.
            await sleepIgnoringCancellation(for: .milliseconds(100))
        }
        state.withLock { state in
            state.report.faultNotes.append("the \(pods) Pods of \(id) were not adopted within 120 s of its kill")
        }
    }

    func adopterName(_ adopter: String?, _ context: Context) async -> String {
        if let adopter { return adopter }
        let lease = try? await context.client.lease(name: configuration.controller.leaseName, namespace: "default")
        return lease?.spec.holderIdentity ?? "?"
    }

    /// The adopter's own "adopted a dead controller's work" figures for peer `id`, from the controllers' output: the
    /// latest such line.
    func reportedAdoption(of id: String) -> String? {
        for controller in state.withLock({ $0.controllers }).reversed() {
            for line in controller.process.output().split(separator: "\n").reversed()
            where line.contains("adopted a dead controller's work") && line.contains("controller.peer=\(id)") {
                var parts: [String] = []
                for key in ["pods=", "tasks=", "duration="] {
                    guard let range = line.range(of: key) else { continue }
                    var value = line[range.upperBound...].prefix { $0 != " " }
                    if key == "duration=", line[range.upperBound...].dropFirst(value.count).hasPrefix(" seconds") {
                        value += " s"
                    }
                    parts.append(key + value)
                }
                return parts.joined(separator: " ") + " (by \(controller.id))"
            }
        }
        return nil
    }
}
