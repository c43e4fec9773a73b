import Foundation
import JSON
import KubeSim
import Testing

@Suite("Fault injection")
struct FaultTests {
    static let quiet = fastConfiguration { $0.scheduleDelay = .seconds(60) }

    @Test func latencyDelaysRequests() async throws {
        let configuration = fastConfiguration {
            $0.faults.latency = .milliseconds(3000)
            $0.faults.jitter = .milliseconds(50)
        }
        try await withKubeSim(configuration) { _, client in
            let start = ContinuousClock.now
            let list = try await client.get("/api/v1/namespaces/default/pods")
            #expect(list.status == 200)
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(3000) && elapsed < .seconds(15))
            // The control endpoint is never delayed.
            let control = ContinuousClock.now
            #expect(try await client.get("/kubesim/faults").json["latencyMilliseconds"] == 3000.0)
            #expect(ContinuousClock.now - control < .milliseconds(2500))
        }
    }

    @Test func errorRulesAnswerWithRealStatuses() async throws {
        let configuration = fastConfiguration {
            $0.faults.errors = [try! .init(parsing: "create=1:503"), .init(verb: "list", resource: "pods", rate: 1, code: 500)]
        }
        try await withKubeSim(configuration) { sim, client in
            let create = try await client.post("/api/v1/namespaces/default/pods", pod("never"))
            #expect(create.status == 503)
            #expect(create.json["reason"] == "ServiceUnavailable")
            #expect(create.json["message"] == "the server is currently unable to handle the request")
            #expect(create.json["kind"] == "Status")
            let list = try await client.get("/api/v1/namespaces/default/pods")
            #expect(list.status == 500)
            #expect(list.json["reason"] == "InternalError")
            // Other verbs and resources are served; the failed create did nothing.
            #expect(try await client.get("/api/v1/namespaces/default/pods/never").status == 404)
            #expect(try await client.get("/apis/coordination.k8s.io/v1/namespaces/default/leases").status == 200)
            #expect(await sim.pods().isEmpty)
            #expect(await sim.auditEntries().contains { $0["verb"] == "create" && $0["code"] == 503 })

            // A rate between 0 and 1 fails some requests, not all.
            await sim.setFaults(KubeSimFaults(errors: [.init(verb: "get", rate: 0.5, code: 504)]))
            var codes: [Int] = []
            for _ in 0..<40 { codes.append(try await client.get("/api/v1/namespaces/default/pods/x").status) }
            #expect(codes.contains(504) && codes.contains(404))
            #expect(Set(codes) == [404, 504])
        }
    }

    @Test func throttleStormAnswers429WithRetryAfterForItsDuration() async throws {
        try await withKubeSim(Self.quiet) { sim, client in
            let set = try await client.request(
                "PUT", "/kubesim/faults", body: Array(#"{"throttle":{"seconds":8,"retryAfterSeconds":2}}"#.utf8))
            #expect(set.status == 200)
            #expect(set.json[path: "throttle", "retryAfterSeconds"] == 2)
            let throttled = try await client.get("/api/v1/namespaces/default/pods")
            #expect(throttled.status == 429)
            #expect(throttled.header("Retry-After") == "2")
            #expect(throttled.json["reason"] == "TooManyRequests")
            #expect(throttled.json[path: "details", "retryAfterSeconds"] == 2)
            #expect(try await client.post("/api/v1/namespaces/default/pods", pod("x")).status == 429)
            #expect(try await client.get("/healthz").status == 200)
            // The storm ends after its seconds (polled: a loaded machine may be slow to get here).
            let deadline = ContinuousClock.now + .seconds(15)
            while try await client.get("/api/v1/namespaces/default/pods").status != 200 {
                try #require(ContinuousClock.now < deadline, "the storm did not end")
                try await Task.sleep(for: .milliseconds(100))
            }
            // The storm is over and no longer shows.
            #expect(await sim.faults().throttle == nil)
        }
    }

    @Test func droppedWatchesAreCutMidStream() async throws {
        try await withKubeSim(Self.quiet) { sim, client in
            try await client.createPod("one")
            let watch = try client.watch("/api/v1/namespaces/default/pods?watch=true")
            defer { watch.cancel() }
            #expect(try await watch.next()?.type == "ADDED")
            await sim.setFaults(KubeSimFaults(dropWatchesEvery: .milliseconds(200)))
            let start = ContinuousClock.now
            try await watch.waitUntilFinished(timeout: .seconds(10))
            #expect(ContinuousClock.now - start < .seconds(5))
            // Cut, not ended: the chunked body never got its last chunk.
            #expect(watch.error != nil)

            // New watches work, and are cut again.
            let again = try client.watch("/api/v1/namespaces/default/pods?watch=true")
            defer { again.cancel() }
            #expect(try await again.next()?.type == "ADDED")
            try await again.waitUntilFinished(timeout: .seconds(10))
            await sim.setFaults(KubeSimFaults())
        }
    }

    @Test func shrinkingTheHistoryForcesExpiredRewatches() async throws {
        try await withKubeSim(Self.quiet) { _, client in
            let start = try await client.get("/api/v1/namespaces/default/pods")
            let version = try #require(start.json[path: "metadata", "resourceVersion"]?.stringValue)
            for index in 0..<4 { try await client.createPod("p\(index)") }
            let served = try client.watch("/api/v1/namespaces/default/pods?watch=true&resourceVersion=\(version)")
            #expect(try await served.next()?.type == "ADDED")
            served.cancel()

            let shrink = try await client.request("POST", "/kubesim/faults", body: Array(#"{"historyWindow":1}"#.utf8))
            #expect(shrink.status == 200)
            #expect(shrink.json["historyWindow"] == 1)
            let expired = try client.watch("/api/v1/namespaces/default/pods?watch=true&resourceVersion=\(version)")
            defer { expired.cancel() }
            let error = try await expired.next()
            #expect(error?.type == "ERROR")
            #expect(error?[path: "object", "code"] == 410)
            #expect(error?[path: "object", "reason"] == "Expired")
        }
    }

    @Test func downtimeRefusesConnectionsThenListensAgain() async throws {
        try await withKubeSim(Self.quiet) { sim, client in
            let port = try await sim.waitUntilListening()
            try await client.createPod("survivor")
            let watch = try client.watch("/api/v1/namespaces/default/pods?watch=true")
            defer { watch.cancel() }
            #expect(try await watch.next()?.type == "ADDED")

            let down = try await client.request("POST", "/kubesim/faults", body: Array(#"{"downtimeSeconds":1}"#.utf8))
            #expect(down.status == 200)
            try await watch.waitUntilFinished(timeout: .seconds(2))
            #expect(try await Self.connects(port: port) == false)
            // It comes back on the same port, with the same Pods.
            let deadline = ContinuousClock.now + .seconds(5)
            while try await !Self.connects(port: port) {
                try #require(ContinuousClock.now < deadline, "the sim did not listen again")
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try await sim.waitUntilListening() == port)
            #expect(await sim.faults().downtime == nil)
            #expect(try await client.get("/api/v1/namespaces/default/pods/survivor").status == 200)
        }
    }

    @Test func theControlEndpointValidatesAndReplaces() async throws {
        try await withKubeSim { _, client in
            let bad = try await client.request("PUT", "/kubesim/faults", body: Array(#"{"latencyMs":5}"#.utf8))
            #expect(bad.status == 400)
            #expect(bad.json["message"]?.stringValue?.contains("unknown field \"latencyMs\"") == true)
            let badRule = try await client.request(
                "PUT", "/kubesim/faults", body: Array(#"{"errors":[{"verb":"get","rate":2,"code":503}]}"#.utf8))
            #expect(badRule.status == 400)
            _ = try await client.request(
                "PUT", "/kubesim/faults",
                body: Array(#"{"latencyMilliseconds":1,"errors":[{"verb":"watch","rate":0.5,"code":500}]}"#.utf8))
            let merged = try await client.request("POST", "/kubesim/faults", body: Array(#"{"jitterMilliseconds":2}"#.utf8))
            #expect(merged.json["latencyMilliseconds"] == 1.0)
            #expect(merged.json["jitterMilliseconds"] == 2.0)
            #expect(merged.json["errors"]?.arrayValue?.count == 1)
            let replaced = try await client.request("PUT", "/kubesim/faults", body: Array("{}".utf8))
            #expect(replaced.json["latencyMilliseconds"] == 0.0)
            #expect(replaced.json["errors"] == [])
            #expect(try await client.request("DELETE", "/kubesim/faults").status == 405)

            _ = try await client.get("/api/v1/namespaces/default/pods")
            let audit = try await client.get("/kubesim/audit")
            #expect(audit.status == 200)
            let entries = audit.json["items"]?.arrayValue ?? []
            #expect(entries.last?["verb"] == "list")
            #expect(!entries.contains { $0["path"]?.stringValue?.hasPrefix("/kubesim/") == true })
        }
    }

    @Test func errorRulesParse() throws {
        let rule = try KubeSimFaults.ErrorRule(parsing: "pods/create=0.25:503")
        #expect(rule == .init(verb: "create", resource: "pods", rate: 0.25, code: 503))
        #expect(throws: KubeSimError.self) { try KubeSimFaults.ErrorRule(parsing: "create=0.1") }
        #expect(throws: KubeSimError.self) { try KubeSimFaults.ErrorRule(parsing: "create=1.5:503") }
        #expect(throws: KubeSimError.self) { try KubeSimFaults.ErrorRule(parsing: "create=0.5:200") }
        let faults = KubeSimFaults(
            latency: .milliseconds(5), errors: [rule], throttle: .init(seconds: 1), dropWatchesEvery: .seconds(2),
            historyWindow: 3, downtime: .seconds(1))
        #expect(try KubeSimFaults(json: faults.json) == faults)
    }

    /// Whether a TCP connection to the port is accepted, tried off the cooperative pool.
    static func connects(port: Int) async throws -> Bool {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                defer { close(descriptor) }
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = in_port_t(UInt16(port).bigEndian)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                let result = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                continuation.resume(returning: result == 0)
            }
        }
    }
}
