import Foundation
import JSON
import KubeSim
import Testing

@Suite("Pagination")
struct PaginationTests {
    /// Pods that stay Pending, so that only the test changes them.
    static let quiet = fastConfiguration { $0.scheduleDelay = .seconds(60) }

    static func names(_ list: JSONValue) -> [String] {
        (list["items"]?.arrayValue ?? []).compactMap { $0[path: "metadata", "name"]?.stringValue }
    }

    @Test func pagesFollowContinueTokensToTheEnd() async throws {
        try await withKubeSim(Self.quiet) { _, client in
            for index in 0..<7 { try await client.createPod("p\(index)") }
            let base = "/api/v1/namespaces/default/pods?limit=3"
            let first = try await client.get(base)
            #expect(first.status == 200)
            #expect(Self.names(first.json) == ["p0", "p1", "p2"])
            #expect(first.json[path: "metadata", "remainingItemCount"] == 4)
            let version = try #require(first.json[path: "metadata", "resourceVersion"]?.stringValue)
            let token = try #require(first.json[path: "metadata", "continue"]?.stringValue)
            #expect(!token.contains("=") && !token.contains("+") && !token.contains("/"))
            // The token is the API server's: base64url JSON with the snapshot's version and the last key.
            var padded = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while padded.count % 4 != 0 { padded += "=" }
            let decoded = try JSONValue(parsing: Array(try #require(Data(base64Encoded: padded))))
            #expect(decoded["v"] == "meta.k8s.io/v1")
            #expect(decoded["rv"] == .int(Int64(version)!))
            #expect(decoded["start"] == "p2\u{0}")

            let second = try await client.get(base + "&continue=" + token)
            #expect(Self.names(second.json) == ["p3", "p4", "p5"])
            #expect(second.json[path: "metadata", "resourceVersion"]?.stringValue == version)
            #expect(second.json[path: "metadata", "remainingItemCount"] == 1)
            let next = try #require(second.json[path: "metadata", "continue"]?.stringValue)
            let last = try await client.get(base + "&continue=" + next)
            #expect(Self.names(last.json) == ["p6"])
            #expect(last.json[path: "metadata", "continue"] == nil)
            #expect(last.json[path: "metadata", "remainingItemCount"] == nil)

            let whole = try await client.get("/api/v1/namespaces/default/pods")
            #expect(Self.names(whole.json).count == 7)
            #expect(whole.json[path: "metadata", "continue"] == nil)
            let exact = try await client.get("/api/v1/namespaces/default/pods?limit=7")
            #expect(exact.json[path: "metadata", "continue"] == nil)
        }
    }

    @Test func everyPageShowsTheFirstPagesSnapshot() async throws {
        try await withKubeSim(Self.quiet) { _, client in
            for index in 0..<6 { try await client.createPod("p\(index)", labels: ["set": "a"]) }
            let first = try await client.get("/api/v1/namespaces/default/pods?limit=2")
            let version = try #require(first.json[path: "metadata", "resourceVersion"]?.stringValue)
            let token = try #require(first.json[path: "metadata", "continue"]?.stringValue)

            // Change the world between pages: a new Pod, a deleted one, a relabelled one.
            try await client.createPod("p25")
            #expect(try await client.delete("/api/v1/namespaces/default/pods/p4").status == 200)
            let relabelled = try await client.mergePatch(
                "/api/v1/namespaces/default/pods/p3", ["metadata": ["labels": ["set": "b"]]])
            #expect(relabelled.status == 200)

            var names = Self.names(first.json)
            var continueToken: String? = token
            var labels: [String] = []
            while let current = continueToken {
                let page = try await client.get("/api/v1/namespaces/default/pods?limit=2&continue=" + current)
                #expect(page.status == 200, "\(page.text)")
                #expect(page.json[path: "metadata", "resourceVersion"]?.stringValue == version)
                names += Self.names(page.json)
                labels += (page.json["items"]?.arrayValue ?? []).compactMap {
                    $0[path: "metadata", "labels", "set"]?.stringValue
                }
                continueToken = page.json[path: "metadata", "continue"]?.stringValue
            }
            #expect(names == ["p0", "p1", "p2", "p3", "p4", "p5"])
            #expect(labels == ["a", "a", "a", "a"])

            let now = try await client.get("/api/v1/namespaces/default/pods")
            #expect(Self.names(now.json) == ["p0", "p1", "p2", "p25", "p3", "p5"])
            // The same snapshot, asked for by resourceVersion.
            let exact = try await client.get(
                "/api/v1/namespaces/default/pods?resourceVersion=\(version)&resourceVersionMatch=Exact")
            #expect(Self.names(exact.json) == ["p0", "p1", "p2", "p3", "p4", "p5"])
        }
    }

    @Test func selectorsAndAllNamespaces() async throws {
        try await withKubeSim(Self.quiet) { _, client in
            for index in 0..<4 {
                try await client.createPod("a\(index)", namespace: "one", labels: ["app": index % 2 == 0 ? "x" : "y"])
                try await client.createPod("b\(index)", namespace: "two", labels: ["app": "x"])
            }
            let selected = try await client.get("/api/v1/namespaces/one/pods?limit=1&labelSelector=app%3Dx")
            #expect(Self.names(selected.json) == ["a0"])
            // The server cannot count what a selector leaves out.
            #expect(selected.json[path: "metadata", "remainingItemCount"] == nil)
            let token = try #require(selected.json[path: "metadata", "continue"]?.stringValue)
            let rest = try await client.get("/api/v1/namespaces/one/pods?limit=1&labelSelector=app%3Dx&continue=\(token)")
            #expect(Self.names(rest.json) == ["a2"])
            #expect(rest.json[path: "metadata", "continue"] == nil)

            var all: [String] = []
            var next: String? = ""
            while let current = next {
                let page = try await client.get("/api/v1/pods?limit=3" + (current.isEmpty ? "" : "&continue=\(current)"))
                all += (page.json["items"]?.arrayValue ?? []).compactMap {
                    guard let namespace = $0[path: "metadata", "namespace"]?.stringValue,
                        let name = $0[path: "metadata", "name"]?.stringValue
                    else { return nil }
                    return "\(namespace)/\(name)"
                }
                next = page.json[path: "metadata", "continue"]?.stringValue
            }
            #expect(all == ["one/a0", "one/a1", "one/a2", "one/a3", "two/b0", "two/b1", "two/b2", "two/b3"])
        }
    }

    @Test func compactedSnapshotIsGone() async throws {
        let configuration = fastConfiguration {
            $0.scheduleDelay = .seconds(60)
            $0.historyWindow = 3
        }
        try await withKubeSim(configuration) { _, client in
            for index in 0..<4 { try await client.createPod("p\(index)") }
            let first = try await client.get("/api/v1/namespaces/default/pods?limit=2")
            let token = try #require(first.json[path: "metadata", "continue"]?.stringValue)
            // Within the window the snapshot is still served.
            try await client.createPod("q0")
            #expect(try await client.get("/api/v1/namespaces/default/pods?limit=2&continue=\(token)").status == 200)
            for index in 1..<4 { try await client.createPod("q\(index)") }
            let expired = try await client.get("/api/v1/namespaces/default/pods?limit=2&continue=\(token)")
            #expect(expired.status == 410)
            #expect(expired.json["kind"] == "Status")
            #expect(expired.json["reason"] == "Expired")
            #expect(expired.json["code"] == 410)
            #expect(expired.json["message"] == .string(
                "The provided continue parameter is too old to display a consistent list result. You can start a new "
                    + "list without the continue parameter."))
            let exact = try await client.get(
                "/api/v1/namespaces/default/pods?resourceVersion=2&resourceVersionMatch=Exact")
            #expect(exact.status == 410)
            #expect(exact.json["message"] == "The resourceVersion for the provided list is too old.")
        }
    }

    @Test func continueTokensExpireAfterTheirTTL() async throws {
        let configuration = fastConfiguration {
            $0.scheduleDelay = .seconds(60)
            $0.continueTTL = .milliseconds(100)
        }
        try await withKubeSim(configuration) { _, client in
            for index in 0..<3 { try await client.createPod("p\(index)") }
            let first = try await client.get("/api/v1/namespaces/default/pods?limit=1")
            let token = try #require(first.json[path: "metadata", "continue"]?.stringValue)
            // A snapshot that is still the latest state never expires.
            try await Task.sleep(for: .milliseconds(150))
            #expect(try await client.get("/api/v1/namespaces/default/pods?limit=1&continue=\(token)").status == 200)
            try await client.createPod("later")
            try await Task.sleep(for: .milliseconds(150))
            let expired = try await client.get("/api/v1/namespaces/default/pods?limit=1&continue=\(token)")
            #expect(expired.status == 410)
            #expect(expired.json["reason"] == "Expired")
        }
    }

    @Test func badListOptionsAreRejected() async throws {
        try await withKubeSim(Self.quiet) { _, client in
            for index in 0..<2 { try await client.createPod("p\(index)") }
            let pods = "/api/v1/namespaces/default/pods"
            let garbage = try await client.get(pods + "?limit=1&continue=%25%25%25")
            #expect(garbage.status == 400)
            #expect(garbage.json["reason"] == "BadRequest")
            #expect(garbage.json["message"]?.stringValue?.hasPrefix("invalid continue token: continue key is not valid")
                == true)
            let token = try #require(
                try await client.get(pods + "?limit=1").json[path: "metadata", "continue"]?.stringValue)
            let withVersion = try await client.get(pods + "?continue=\(token)&resourceVersion=5")
            #expect(withVersion.status == 400)
            #expect(withVersion.json["message"] == "specifying resource version is not allowed when using continue")
            let matchAlone = try await client.get(pods + "?resourceVersionMatch=Exact")
            #expect(matchAlone.status == 422)
            #expect(matchAlone.json["message"] == .string(
                "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is "
                    + "forbidden unless resourceVersion is provided"))
            let future = try await client.get(pods + "?resourceVersion=999999")
            #expect(future.status == 504)
            #expect(future.json["reason"] == "Timeout")
            #expect(future.json[path: "details", "causes"]?.arrayValue?.first?["reason"] == "ResourceVersionTooLarge")
        }
    }
}
