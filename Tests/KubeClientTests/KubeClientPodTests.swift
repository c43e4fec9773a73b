import Foundation
import JSON
import KubeClient
import KubeSim
import KubeSimTestKit
import TestSupport
import Testing

@Suite("KubeClient against KubeSim over a loopback socket")
struct KubeClientPodTests {
    static func pod(_ name: String, labels: [String: String] = [:], annotations: [String: String] = [:]) -> JSONValue {
        var labelObject = JSONObject()
        for (key, value) in labels { labelObject[key] = .string(value) }
        var annotationObject = JSONObject()
        for (key, value) in annotations { annotationObject[key] = .string(value) }
        return [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": .string(name), "labels": .object(labelObject), "annotations": .object(annotationObject)],
            "spec": ["restartPolicy": "Never", "containers": [["name": "base", "image": "busybox", "command": ["sh", "-c", "echo hi"]]]],
        ]
    }

    @Test("shutting a transport down ends its open watch and fails later requests at once")
    func engineShutdown() async throws {
        try await withKubeSim { sim in
            let engine = CurlEngine()
            let client = KubeClient(config: sim.client.config, logger: .test(), engine: engine)
            let watch = try await client.watchPods(namespace: "default", timeoutSeconds: 60)
            let reader = Task { () -> (any Error)? in
                do {
                    for try await _ in watch {}
                    return nil
                } catch {
                    return error
                }
            }
            await engine.shutdown()
            let ended = await reader.value
            #expect((ended as? TransportError)?.code == .cancelled, "the watch ended with \(String(describing: ended))")
            let start = ContinuousClock.now
            await #expect(throws: TransportError.self) { _ = try await client.listPods(namespace: "default") }
            #expect(ContinuousClock.now - start < .seconds(1), "no retries after shutdown")
            await engine.shutdown()  // idempotent
        }
    }

    @Test("create, get, list by label, delete; 404 and 409 come back as typed errors")
    func crud() async throws {
        try await withKubeSim { sim in
            let client = sim.client
            let created = try await client.createPod(Self.pod("a", labels: ["app": "x", "tier": "1"]))
            #expect(created.name == "a")
            #expect(created.namespace == "default")
            #expect(created.metadata.uid != nil)
            #expect(created.metadata.resourceVersion != nil)
            _ = try await client.createPod(Self.pod("b", labels: ["app": "y"]))

            let fetched = try await client.pod(name: "a")
            #expect(fetched.metadata.labels?["tier"] == "1")

            let listed = try await client.listPods(namespace: "default", labelSelector: "app=x")
            #expect(listed.items.map(\.name) == ["a"])
            #expect(listed.metadata.resourceVersion != nil)
            let all = try await client.listPods(namespace: nil)
            #expect(Set(all.items.map(\.name)) == ["a", "b"])

            let duplicate = await #expect(throws: KubeError.self) { try await client.createPod(Self.pod("a")) }
            #expect(duplicate?.code == .alreadyExists)
            #expect(duplicate?.httpStatus == 409)
            #expect(duplicate?.message.contains("already exists") == true)

            try await client.deletePod(name: "b", gracePeriodSeconds: 0)
            #expect(await eventually { (try? await client.listPods(namespace: "default").items.map(\.name)) == ["a"] })

            let missing = await #expect(throws: KubeError.self) { try await client.pod(name: "nope") }
            #expect(missing?.code == .notFound)
            #expect(missing?.status?.reason == "NotFound")
            #expect(missing?.description.contains("pods \"nope\" not found") == true)

            let invalid = await #expect(throws: KubeError.self) { try await client.createPod(Self.pod("Bad_Name")) }
            #expect(invalid?.code == .invalid)
            #expect(invalid?.httpStatus == 422)
        }
    }

    @Test("paginated lists follow continue tokens")
    func pagination() async throws {
        try await withKubeSim { sim in
            for index in 0..<7 { _ = try await sim.client.createPod(Self.pod("p\(index)", labels: ["set": "s"])) }
            let page = try await sim.client.listPods(namespace: "default", labelSelector: "set=s", limit: 3)
            #expect(page.items.count <= 3)
            let all = try await sim.client.listAllPods(namespace: "default", labelSelector: "set=s", pageSize: 3)
            #expect(Set(all.items.map(\.name)) == Set((0..<7).map { "p\($0)" }))
        }
    }

    @Test("a watch sees ADDED, MODIFIED through the phases, and DELETED")
    func watch() async throws {
        var configuration = KubeSimConfiguration(mode: .scripted)
        configuration.defaultRunTime = .milliseconds(200)
        try await withKubeSim(configuration) { sim in
            let client = sim.client
            let start = try await client.listPods(namespace: "default")
            let stream = try await client.watchPods(
                namespace: "default", labelSelector: "app=w", resourceVersion: start.metadata.resourceVersion, timeoutSeconds: 30
            )
            _ = try await client.createPod(Self.pod("w1", labels: ["app": "w"]))
            var kinds: [String] = []
            var phases: [String] = []
            for try await event in stream {
                switch event {
                case .added(let pod):
                    kinds.append("ADDED")
                    phases.append(pod.phase?.rawValue ?? "")
                case .modified(let pod):
                    kinds.append("MODIFIED")
                    phases.append(pod.phase?.rawValue ?? "")
                    if pod.phase == .succeeded, pod.metadata.deletionTimestamp == nil {
                        try await client.deletePod(name: "w1")
                    }
                case .deleted:
                    kinds.append("DELETED")
                case .bookmark, .error:
                    continue
                }
                if kinds.last == "DELETED" { break }
            }
            #expect(kinds.first == "ADDED")
            #expect(kinds.last == "DELETED")
            #expect(kinds.contains("MODIFIED"))
            #expect(phases.contains("Running"))
            #expect(phases.contains("Succeeded"))
        }
    }

    @Test("a watch from a resourceVersion outside the history window fails with 410 Expired")
    func expired() async throws {
        var configuration = KubeSimConfiguration(mode: .scripted)
        configuration.historyWindow = 3
        try await withKubeSim(configuration) { sim in
            let first = try await sim.client.listPods(namespace: "default")
            for index in 0..<6 { _ = try await sim.client.createPod(Self.pod("e\(index)")) }
            do {
                let stream = try await sim.client.watchPods(namespace: "default", resourceVersion: first.metadata.resourceVersion)
                var sawExpired = false
                for try await event in stream {
                    if case .error(let status) = event {
                        sawExpired = status.code == 410
                        break
                    }
                }
                #expect(sawExpired)
            } catch let error as KubeError {
                #expect(error.code == .expired)
            }
        }
    }

    @Test("logs: whole, tail, limitBytes; a Status error for a missing Pod")
    func logs() async throws {
        try await withKubeSim(KubeSimConfiguration(mode: .exec)) { sim in
            var pod = Self.pod("l1")
            pod[path: "spec", "containers"] = [["name": "base", "image": "busybox", "command": ["/bin/sh", "-c", "for i in 1 2 3 4 5; do echo line $i; done; echo oops >&2; exit 3"]]]
            _ = try await sim.client.createPod(pod)
            #expect(await eventually { (try? await sim.client.pod(name: "l1").phase) == .failed })
            let failed = try await sim.client.pod(name: "l1")
            #expect(failed.status?.containerStatuses?.first?.state?.terminated?.exitCode == 3)
            let log = try await sim.client.podLog(name: "l1", container: "base")
            #expect(log.contains("line 1\n"))
            #expect(log.contains("line 5\n"))
            #expect(log.contains("oops"))
            let tail = try await sim.client.podLog(name: "l1", tailLines: 2)
            #expect(tail.split(separator: "\n").count == 2)
            let limited = try await sim.client.podLog(name: "l1", limitBytes: 4)
            #expect(limited.utf8.count == 4)
            #expect(log.hasPrefix(limited))
            let missing = await #expect(throws: KubeError.self) { try await sim.client.podLog(name: "none") }
            #expect(missing?.code == .notFound)
        }
    }

    @Test("a connection refused is a TransportError after retries, fast")
    func refused() async throws {
        var retry = KubeClient.RetryPolicy()
        retry.maxAttempts = 2
        retry.initialBackoff = .milliseconds(10)
        let client = KubeClient(config: KubeConfig(server: "http://127.0.0.1:1"), logger: .test(), retry: retry)
        let error = await #expect(throws: TransportError.self) { try await client.listPods(namespace: "default") }
        #expect(error?.code == .connect)
    }

    @Test("many concurrent requests share the curl thread")
    func concurrent() async throws {
        try await withKubeSim { sim in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<64 {
                    group.addTask { _ = try await sim.client.createPod(Self.pod("c\(index)")) }
                }
                try await group.waitForAll()
            }
            let list = try await sim.client.listPods(namespace: "default")
            #expect(list.items.count == 64)
        }
    }
}
