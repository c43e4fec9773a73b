import Foundation
import JSON
import KubeClient
import KubeSim
import Logging
import MetricsTestKit
import Synchronization
import KubeSimTestKit
import TestSupport
import Testing

@Suite("KubeClient and the informer under injected faults")
struct KubeClientFaultTests {
    static func pod(_ name: String, labels: JSONValue = ["app": "f"]) -> JSONValue {
        ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "labels": labels,
                                                         "annotations": ["kubesim.taskpod.io/run-seconds": "0.3"]],
         "spec": ["restartPolicy": "Never", "containers": [["name": "base", "image": "busybox"]]]]
    }

    @Test("retries carry every request through 10% 5xx answers")
    func serverErrors() async throws {
        var configuration = KubeSimConfiguration(mode: .scripted)
        configuration.faults.errors = [
            .init(verb: "create", rate: 0.1, code: 503), .init(verb: "get", rate: 0.1, code: 500),
            .init(verb: "list", rate: 0.1, code: 502),
        ]
        try await withKubeSim(configuration) { sim in
            var retry = KubeClient.RetryPolicy()
            retry.initialBackoff = .milliseconds(5)
            let client = KubeClient(config: sim.client.config, logger: .test(), retry: retry)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<100 {
                    group.addTask {
                        _ = try await client.createPod(Self.pod("r\(index)"))
                        _ = try await client.pod(name: "r\(index)")
                    }
                }
                try await group.waitForAll()
            }
            let all = try await client.listAllPods(namespace: "default", pageSize: 30)
            #expect(all.items.count == 100)
            let failures = await sim.sim.auditEntries().filter { ($0["code"]?.intValue ?? 0) >= 500 }
            #expect(failures.count >= 5, "the faults were really injected: \(failures.count)")
        }
    }

    @Test("a 429 storm paces the client to Retry-After instead of hammering the server")
    func throttled() async throws {
        try await withKubeSim(KubeSimConfiguration(mode: .scripted)) { sim in
            await sim.sim.setFaults(KubeSimFaults(throttle: .init(seconds: 3.5, retryAfterSeconds: 1)))
            let start = ContinuousClock.now
            let list = try await sim.client.listPods(namespace: "default")
            #expect(list.items.isEmpty)
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .seconds(1), "waited for the storm: \(elapsed)")
            let throttled = await sim.sim.auditEntries().filter { $0["code"] == 429 }
            #expect(throttled.count >= 1)
            #expect(throttled.count <= 8, "about one try per Retry-After second, not a hammering: \(throttled.count)")
        }
    }

    @Test("the informer ends with exactly the server's state after watch drops and 410s, no event lost or repeated")
    func informerUnderFaults() async throws {
        var configuration = KubeSimConfiguration(mode: .scripted)
        configuration.faults.dropWatchesEvery = .milliseconds(700)
        configuration.faults.historyWindow = 4
        configuration.bookmarkInterval = .milliseconds(200)
        let faults = configuration.faults
        let metrics = TestMetrics()
        try await withKubeSim(configuration, clientMeters: KubeClientMeters(factory: metrics)) { sim in
            let model = Mutex<[String: String]>([:])  // name → resourceVersion, as the events told
            let problems = Mutex<[String]>([])
            let synced = Mutex(0)
            var informerConfiguration = PodInformer.Configuration(namespace: "default", labelSelector: "app=f")
            informerConfiguration.initialBackoff = .milliseconds(20)
            informerConfiguration.pageSize = 7
            let informer = PodInformer(client: sim.client, configuration: informerConfiguration, logger: .test()) { event in
                model.withLock { model in
                    switch event {
                    case .added(let pod):
                        if model[pod.name] != nil { problems.withLock { $0.append("ADDED twice: \(pod.name)") } }
                        model[pod.name] = pod.metadata.resourceVersion
                    case .updated(let old, let new):
                        if model[new.name] == nil { problems.withLock { $0.append("update of unknown \(new.name)") } }
                        if old.metadata.resourceVersion == new.metadata.resourceVersion {
                            problems.withLock { $0.append("repeated version \(new.name)@\(new.metadata.resourceVersion ?? "")") }
                        }
                        model[new.name] = new.metadata.resourceVersion
                    case .deleted(let pod):
                        if model.removeValue(forKey: pod.name) == nil { problems.withLock { $0.append("DELETED unknown \(pod.name)") } }
                    case .synced:
                        synced.withLock { $0 += 1 }
                    }
                }
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await informer.run() }
                #expect(await eventually { synced.withLock { $0 } >= 1 }, "the informer listed")
                // A 410 for sure, not by luck of timing: cut the informer's watch and fail its rewatches, move the
                // history past its resourceVersion (8 creates > the window of 4), then let it watch again.
                var cutOff = faults
                cutOff.errors = [KubeSimFaults.ErrorRule(verb: "watch", rate: 1, code: 500)]
                cutOff.dropWatchesEvery = .milliseconds(50)
                await sim.sim.setFaults(cutOff)
                let rewatchFailed = await eventually {
                    await sim.sim.auditEntries().contains { $0["verb"]?.stringValue == "watch" && $0["code"]?.intValue == 500 }
                }
                #expect(rewatchFailed, "the informer's watch was cut off")
                for index in 0..<8 { _ = try await sim.client.createPod(Self.pod("before-410-\(index)")) }
                await sim.sim.setFaults(faults)
                #expect(await eventually { synced.withLock { $0 } >= 2 }, "it relisted after the 410")
                // Churn: create, let them run (status changes), delete some, while watches drop and expire.
                for round in 0..<6 {
                    for index in 0..<8 { _ = try await sim.client.createPod(Self.pod("p\(round)-\(index)")) }
                    try await Task.sleep(for: .milliseconds(300))
                    for index in stride(from: 0, to: 8, by: 3) { try await sim.client.deletePod(name: "p\(round)-\(index)", gracePeriodSeconds: 0) }
                }
                _ = try await sim.client.createPod(Self.pod("other", labels: ["app": "not-f"]))
                // Faults off: the informer's next watch stays up, so what it sees from here (the Pods' last status
                // changes, bookmarks every 200 ms) arrives as watch events, which its meters must count.
                await sim.sim.setFaults(KubeSimFaults())
                let watchEventsBefore = metrics.counterTotal(label: KubeClientMeters.watchEvents)
                // Let every Pod finish, then compare with a fresh list.
                let settled = await eventually(timeout: .seconds(20), every: .milliseconds(200)) {
                    guard let list = try? await sim.client.listAllPods(namespace: "default", labelSelector: "app=f") else { return false }
                    let truth = Dictionary(uniqueKeysWithValues: list.items.map { ($0.name, $0.metadata.resourceVersion ?? "") })
                    return list.items.allSatisfy { $0.phase == .succeeded } && model.withLock { $0 } == truth
                }
                #expect(settled, "the informer's view matches a fresh list")
                #expect(await eventually { metrics.counterTotal(label: KubeClientMeters.watchEvents) > watchEventsBefore },
                        "watch events after the faults were turned off are counted")
                group.cancelAll()
            }
            #expect(problems.withLock { $0 }.isEmpty, "\(problems.withLock { $0 })")
            #expect(synced.withLock { $0 } >= 2, "it relisted after a 410")
            // Its meters saw the same: relists, watch events, the failed rewatches by verb and code.
            #expect(metrics.counterTotal(label: KubeClientMeters.relists) >= 1)
            #expect(metrics.counterTotal(label: KubeClientMeters.requests, dimensions: [("verb", "watch"), ("code", "500")]) >= 1)
            #expect(metrics.counterTotal(label: KubeClientMeters.requests, dimensions: [("verb", "create"), ("code", "201")]) == 57)
        }
    }
}
