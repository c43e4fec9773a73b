import JSON
import KubeSim
import Testing

@Suite("Watch")
struct WatchTests {
    @Test func watchFromZeroSendsAddedForExistingPods() async throws {
        try await withKubeSim(fastConfiguration { $0.scheduleDelay = .seconds(60) }) { _, client in
            try await client.createPod("one", labels: ["app": "web"])
            try await client.createPod("two", labels: ["app": "db"])
            let watch = try client.watch("/api/v1/namespaces/default/pods?watch=true&resourceVersion=0")
            defer { watch.cancel() }
            let first = try await watch.next()
            let second = try await watch.next()
            #expect(watch.status == 200)
            #expect(first?.type == "ADDED")
            #expect(first?[path: "object", "metadata", "name"] == "one")
            #expect(first?[path: "object", "kind"] == "Pod")
            #expect(second?.type == "ADDED")
            #expect(second?[path: "object", "metadata", "name"] == "two")

            let selected = try client.watch("/api/v1/pods?watch=1&labelSelector=app%3Ddb")
            defer { selected.cancel() }
            #expect(try await selected.next()?[path: "object", "metadata", "name"] == "two")
            try await client.createPod("three", labels: ["app": "db"])
            #expect(try await selected.next()?[path: "object", "metadata", "name"] == "three")
        }
    }

    @Test func watchFromListVersionSeesTheLifecycle() async throws {
        try await withKubeSim { _, client in
            let list = try await client.get("/api/v1/namespaces/default/pods")
            let version = try #require(list.json[path: "metadata", "resourceVersion"]?.stringValue)
            let watch = try client.watch("/api/v1/namespaces/default/pods?watch=true&resourceVersion=\(version)")
            defer { watch.cancel() }
            try await client.createPod("life", annotations: ["kubesim.taskpod.io/run-seconds": "0.1"])

            let added = try await watch.next()
            #expect(added?.type == "ADDED")
            #expect(added?.phase == "Pending")
            var phases: [String] = []
            var versions: [Int] = [Int(added?[path: "object", "metadata", "resourceVersion"]?.stringValue ?? "") ?? 0]
            while phases.last != "Succeeded", let event = try await watch.next() {
                #expect(event.type == "MODIFIED")
                if let phase = event.phase, phases.last != phase { phases.append(phase) }
                versions.append(Int(event[path: "object", "metadata", "resourceVersion"]?.stringValue ?? "") ?? 0)
            }
            #expect(phases == ["Pending", "Running", "Succeeded"])
            #expect(versions == versions.sorted() && Set(versions).count == versions.count)

            #expect(try await client.delete("/api/v1/namespaces/default/pods/life").status == 200)
            let deleted = try await watch.next()
            #expect(deleted?.type == "DELETED")
            #expect(deleted?[path: "object", "metadata", "name"] == "life")
        }
    }

    @Test func deletingARunningPodIsGraceful() async throws {
        try await withKubeSim { _, client in
            try await client.createPod("slow", annotations: ["kubesim.taskpod.io/run-seconds": "30"])
            let running = try await client.waitForPod("slow") { $0.phase == "Running" }
            let version = try #require(running[path: "metadata", "resourceVersion"]?.stringValue)
            let watch = try client.watch("/api/v1/namespaces/default/pods?watch=true&resourceVersion=\(version)")
            defer { watch.cancel() }

            let response = try await client.delete("/api/v1/namespaces/default/pods/slow?gracePeriodSeconds=5")
            #expect(response.status == 200)
            #expect(response.json[path: "metadata", "deletionTimestamp"]?.stringValue != nil)
            #expect(response.json[path: "metadata", "deletionGracePeriodSeconds"] == 5)

            let marked = try await watch.next()
            #expect(marked?.type == "MODIFIED")
            #expect(marked?[path: "object", "metadata", "deletionTimestamp"]?.stringValue != nil)
            let gone = try await watch.next { $0.type == "DELETED" }
            #expect(gone?[path: "object", "metadata", "name"] == "slow")
            #expect(try await client.get("/api/v1/namespaces/default/pods/slow").status == 404)
        }
    }

    @Test func tooOldResourceVersionIsExpired() async throws {
        let configuration = fastConfiguration {
            $0.historyWindow = 3
            $0.scheduleDelay = .seconds(60)
        }
        try await withKubeSim(configuration) { _, client in
            for index in 0..<5 { try await client.createPod("p\(index)") }
            let watch = try client.watch("/api/v1/namespaces/default/pods?watch=true&resourceVersion=1")
            defer { watch.cancel() }
            let error = try await watch.next()
            #expect(watch.status == 200)
            #expect(error?.type == "ERROR")
            #expect(error?[path: "object", "kind"] == "Status")
            #expect(error?[path: "object", "code"] == 410)
            #expect(error?[path: "object", "reason"] == "Expired")
            #expect(error?[path: "object", "message"] == "too old resource version: 1 (3)")
            try await watch.waitUntilFinished()

            // The oldest kept change and later are still served.
            let recent = try client.watch("/api/v1/namespaces/default/pods?watch=true&resourceVersion=3")
            defer { recent.cancel() }
            #expect(try await recent.next()?[path: "object", "metadata", "name"] == "p2")
        }
    }

    @Test func bookmarksArriveWhenAsked() async throws {
        try await withKubeSim(fastConfiguration { $0.bookmarkInterval = .milliseconds(50) }) { _, client in
            let list = try await client.get("/api/v1/namespaces/default/pods")
            let version = try #require(list.json[path: "metadata", "resourceVersion"]?.stringValue)
            let watch = try client.watch(
                "/api/v1/namespaces/default/pods?watch=true&resourceVersion=\(version)&allowWatchBookmarks=true")
            defer { watch.cancel() }
            let bookmark = try await watch.next()
            #expect(bookmark?.type == "BOOKMARK")
            #expect(bookmark?["object"]
                == ["kind": "Pod", "apiVersion": "v1", "metadata": ["resourceVersion": .string(version)]])
        }
    }

    @Test func timeoutSecondsEndsTheStream() async throws {
        try await withKubeSim { _, client in
            let start = ContinuousClock.now
            let watch = try client.watch("/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=1")
            defer { watch.cancel() }
            try await watch.waitUntilFinished(timeout: .seconds(5))
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(15))
            #expect(watch.status == 200)
        }
    }

    @Test func podsThatStopMatchingAreDeletedForTheWatcher() async throws {
        try await withKubeSim(fastConfiguration { $0.scheduleDelay = .seconds(60) }) { _, client in
            try await client.createPod("moving", labels: ["app": "web"])
            let watch = try client.watch("/api/v1/namespaces/default/pods?watch=true&labelSelector=app%3Dweb")
            defer { watch.cancel() }
            #expect(try await watch.next()?.type == "ADDED")
            _ = try await client.mergePatch(
                "/api/v1/namespaces/default/pods/moving", ["metadata": ["labels": ["app": "db"]]])
            let gone = try await watch.next()
            #expect(gone?.type == "DELETED")
            #expect(gone?[path: "object", "metadata", "labels", "app"] == "web")
            _ = try await client.mergePatch(
                "/api/v1/namespaces/default/pods/moving", ["metadata": ["labels": ["app": "web"]]])
            #expect(try await watch.next()?.type == "ADDED")
        }
    }
}
