import JSON
import KubeSim
import Logging
import ServiceLifecycle
import Testing

@Suite("Service lifecycle")
struct LifecycleTests {
    @Test func gracefulShutdownEndsWatchesAndFollowers() async throws {
        let sim = KubeSim(configuration: fastConfiguration(), logger: testLogger())
        let serviceGroup = ServiceGroup(configuration: .init(services: [sim], logger: testLogger()))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await serviceGroup.run() }
            let port = try await sim.waitUntilListening()
            let client = SimClient(baseURL: "http://127.0.0.1:\(port)")
            #expect(await sim.baseURL == "http://127.0.0.1:\(port)")
            try await client.createPod(
                "long", annotations: ["kubesim.taskpod.io/run-seconds": "30", "kubesim.taskpod.io/log": "started"])
            _ = try await client.waitForPod("long") { $0.phase == "Running" }
            let watch = try client.watch("/api/v1/namespaces/default/pods?watch=true")
            defer { watch.cancel() }
            let follow = try client.watch("/api/v1/namespaces/default/pods/long/log?follow=true")
            defer { follow.cancel() }
            #expect(try await watch.next()?.type == "ADDED")
            let streaming = ContinuousClock.now + .seconds(15)
            while follow.text.isEmpty {
                try #require(ContinuousClock.now < streaming, "the followed log printed nothing")
                try await Task.sleep(for: .milliseconds(5))
            }

            let start = ContinuousClock.now
            await serviceGroup.triggerGracefulShutdown()
            try await tasks.next()
            #expect(ContinuousClock.now - start < .seconds(10))
            try await watch.waitUntilFinished()
            try await follow.waitUntilFinished()
            #expect(follow.text == "started\n")
            await #expect(throws: KubeSimError.self) { try await sim.waitUntilListening() }
        }
    }

    @Test func runningTwiceIsAnError() async throws {
        try await withKubeSim { sim, _ in
            await #expect(throws: KubeSimError.self) { try await sim.run() }
        }
    }

    @Test func listenFailureReachesWaiters() async throws {
        try await withKubeSim { _, client in
            let port = try #require(Int(client.baseURL.split(separator: ":").last ?? ""))
            var configuration = fastConfiguration()
            configuration.port = port
            let second = KubeSim(configuration: configuration, logger: testLogger())
            let running = Task { try await second.run() }
            await #expect(throws: (any Error).self) { try await second.waitUntilListening() }
            await #expect(throws: (any Error).self) { try await running.value }
        }
    }
}
