import KubeClient
import KubeSim
import KubeSimTestKit
import TaskPod
import TaskStore
import TestSupport
import Testing

@Suite("Controller readiness and liveness")
struct ControllerHealthTests {
    @Test("not ready before the informers synced, ready after; alive throughout")
    func readinessAlone() async throws {
        try await withKubeSim(KubeSimConfiguration(mode: .scripted)) { sim in
            let store = try await TaskStore.open(sim.directory.file("tasks.sqlite"), logger: .test())
            let controller = try Controller(
                configuration: ControllerConfiguration(controllerID: "health"), store: store, client: sim.client, logger: .test()
            )
            let health = ControllerHealth(controller: controller, store: store, elector: nil)
            let before = await health.readiness()
            #expect(!before.ready)
            #expect(before.body.contains("informers not synced"), "\(before.body)")
            #expect(health.liveness().ok)
            await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await controller.run() }
                #expect(await eventually { await health.readiness().ready })
                let after = await health.readiness()
                #expect(after.body.contains("active (no leader election)"), "\(after.body)")
                #expect(after.body.contains("informers synced"))
                #expect(health.liveness().ok, "\(health.liveness().body)")
                group.cancelAll()
            }
            try await store.close()
            // A closed store does not answer.
            #expect(await health.readiness().body.contains("task store does not answer"))
        }
    }

    @Test("two replicas: the leader says leader, the other is a ready standby")
    func leaderAndStandby() async throws {
        try await withKubeSim(KubeSimConfiguration(mode: .scripted)) { sim in
            let store = try await TaskStore.open(sim.directory.file("tasks.sqlite"), logger: .test())
            func replica(_ name: String) throws -> (LeaderElectedController, ControllerHealth, LeaderElector) {
                let controller = try Controller(
                    configuration: ControllerConfiguration(controllerID: name), store: store, client: sim.client, logger: .test(name)
                )
                let elector = LeaderElector(client: sim.client, name: "taskpod", namespace: "default", identity: name, logger: .test(name))
                return (LeaderElectedController(controller: controller, elector: elector),
                        ControllerHealth(controller: controller, store: store, elector: elector), elector)
            }
            let (first, firstHealth, firstElector) = try replica("a")
            let (second, secondHealth, secondElector) = try replica("b")
            #expect(firstElector.status.role == .idle)
            #expect(await !firstHealth.readiness().ready)
            await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await first.run() }
                // A standby is ready too: wait for the Lease, then for the informers.
                #expect(await eventually { firstElector.status.role == .leading })
                #expect(await eventually { await firstHealth.readiness().ready })
                let leader = await firstHealth.readiness()
                #expect(leader.body.hasPrefix("ready: leader;"), "\(leader.body)")
                group.addTask { try await second.run() }
                #expect(await eventually { secondElector.status.role == .standby })
                let standby = await secondHealth.readiness()
                #expect(standby.ready)
                #expect(standby.body.contains("standby"), "\(standby.body)")
                #expect(secondHealth.liveness().ok)
                group.cancelAll()
            }
            try await store.close()
        }
    }
}
