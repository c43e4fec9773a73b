import JSON
import Testing

@testable import KubeSim

@Suite("Store and selectors")
struct StoreTests {
    @Test func labelSelectorParsing() throws {
        let labels = ["app": "web", "tier": "front", "size": "3"]
        func matches(_ text: String) throws -> Bool { try LabelSelector(parsing: text).matches(labels) }
        #expect(try matches(""))
        #expect(try matches("app=web"))
        #expect(try matches("app == web"))
        #expect(try !matches("app!=web"))
        #expect(try matches("missing!=x"))
        #expect(try matches("tier,!missing"))
        #expect(try !matches("!tier"))
        #expect(try matches("tier in (back, front)"))
        #expect(try !matches("tier notin (front)"))
        #expect(try matches("missing notin (front)"))
        #expect(try matches("size>2,size<4"))
        #expect(try matches("example.com/missing notin (a)"))
        for malformed in ["app in web", "app=(x)", "=x", "app=web,", "app in (a", "app!", "a b", "app>x", "Bad Key=x"] {
            #expect(throws: APIError.self, "\(malformed)") { try LabelSelector(parsing: malformed) }
        }
        #expect(throws: APIError.self) { try FieldSelector(parsing: "status.phase") }
    }

    @Test func eventLogKeepsAtMostItsLimitAndDropsExpiredEvents() {
        var log = CoreEventLog(limit: 2, ttl: .seconds(10), historyWindow: 10)
        let start = ContinuousClock.now
        func write(_ name: String, correlation: String, version: Int64, at offset: Duration) {
            let key = PodKey(namespace: "default", name: name)
            let object: JSONValue = ["metadata": ["name": .string(name), "namespace": "default"]]
            log.store(object, at: key, correlationKey: correlation, resourceVersion: version, now: start + offset)
        }
        write("a.1", correlation: "a", version: 1, at: .zero)
        write("b.1", correlation: "b", version: 2, at: .seconds(1))
        write("a.1", correlation: "a", version: 3, at: .seconds(2))  // a repeat: a.1 is now the newest
        #expect(log.removeExpired(now: start + .seconds(2)).isEmpty)
        write("c.1", correlation: "c", version: 4, at: .seconds(3))
        // Over the limit: the least recently written (b.1) leaves, with its correlation entry.
        let overLimit = log.removeExpired(now: start + .seconds(3))
        #expect(overLimit.map { $0[path: "metadata", "name"] } == ["b.1"])
        #expect(log.entry(correlatedWith: "b") == nil)
        #expect(log.entry(correlatedWith: "a")?.key.name == "a.1")
        // a.1 was written again at 2 s, so it outlives its first write's TTL.
        #expect(log.removeExpired(now: start + .seconds(11)).isEmpty)
        let expired = log.removeExpired(now: start + .seconds(12.5))
        #expect(expired.map { $0[path: "metadata", "name"] } == ["a.1"])
        #expect(log.removeExpired(now: start + .seconds(13)).map { $0[path: "metadata", "name"] } == ["c.1"])
        #expect(log.entries.isEmpty)
        #expect(log.entry(correlatedWith: "a") == nil && log.entry(correlatedWith: "c") == nil)
    }

    @Test func slowWatcherIsEndedWhenItsBufferOverflows() async throws {
        let (_, created) = AsyncStream<PodRuntime>.makeStream()
        let store = PodStore(historyWindow: 100, watchBufferLimit: 3, logLineLimit: 10, created: created)
        guard case .subscribed(let slow) = store.watch(PodFilter(), from: nil, bookmarks: false) else {
            Issue.record("the watch did not start")
            return
        }
        for index in 0..<5 {
            let pod = try PodDefaults.podForCreate(
                ["metadata": ["name": .string("p\(index)")], "spec": ["containers": [["name": "base", "image": "x"]]]],
                namespace: "default", now: .now())
            _ = try store.create(pod)
        }
        var received: [String] = []
        for await event in slow.events { received.append(event.object[path: "metadata", "name"]?.stringValue ?? "") }
        #expect(received == ["p0", "p1", "p2"])
        #expect(store.watcherCount == 0)
    }

    @Test func historyKeepsTheLastEvents() {
        var history = EventHistory(capacity: 3)
        for version in Int64(2)...Int64(9) {
            history.append(StoredEvent(kind: .added, object: .null, previous: nil, resourceVersion: version))
        }
        #expect(history.count == 3)
        #expect(history.oldestResourceVersion == 7)
        #expect(history.events(after: 7).map(\.resourceVersion) == [8, 9])
        #expect(history.events(after: 1).map(\.resourceVersion) == [7, 8, 9])
    }

    @Test func shrinkingTheHistoryCompacts() {
        var history = EventHistory(capacity: 5)
        for version in Int64(2)...Int64(6) {
            history.append(StoredEvent(kind: .added, object: .null, previous: nil, resourceVersion: version))
        }
        #expect(history.compactedResourceVersion == 0)
        #expect(history.covers(1))
        history.setCapacity(2)
        #expect(history.count == 2)
        #expect(history.compactedResourceVersion == 4)
        #expect(!history.covers(3) && history.covers(4) && history.covers(6))
        #expect(history.events(after: 4).map(\.resourceVersion) == [5, 6])
    }

    @Test func continueTokensRoundTrip() throws {
        let token = ContinueToken(resourceVersion: 42, after: PodKey(namespace: "ns", name: "p-1"))
        #expect(try ContinueToken(decoding: token.encoded(namespace: "ns"), namespace: "ns") == token)
        #expect(try ContinueToken(decoding: token.encoded(namespace: nil), namespace: nil) == token)
        #expect(throws: APIError.self) { try ContinueToken(decoding: "not base64!", namespace: nil) }
        // A token of an all-namespace list names the namespace: it is no key of a namespaced list.
        #expect(throws: APIError.self) { try ContinueToken(decoding: token.encoded(namespace: nil), namespace: "ns") }
    }

    @Test func jsonPatchFollowsRFC6902() throws {
        let document: JSONValue = ["a": ["b": [1, 2]], "c": "d"]
        let patch: JSONValue = [
            ["op": "add", "path": "/a/b/-", "value": 3], ["op": "remove", "path": "/c"],
            ["op": "copy", "from": "/a/b", "path": "/e"], ["op": "move", "from": "/e", "path": "/f~1g"],
            ["op": "replace", "path": "/a/b/0", "value": 0], ["op": "test", "path": "/f~1g/2", "value": 3],
        ]
        let patched = try JSONPatch.apply(patch, to: document)
        #expect(patched == ["a": ["b": [0, 2, 3]], "f/g": [1, 2, 3]], "\(patched.jsonString)")
        #expect(throws: JSONPatch.Failure.self) {
            try JSONPatch.apply([["op": "test", "path": "/c", "value": "x"]], to: document)
        }
        #expect(throws: JSONPatch.Failure.self) {
            try JSONPatch.apply([["op": "remove", "path": "/missing"]], to: document)
        }
    }

    @Test func mergePatchFollowsRFC7386() throws {
        let target = try JSONValue(parsing: #"{"a":"b","c":{"d":"e","f":"g"}}"#)
        let patch = try JSONValue(parsing: #"{"a":"z","c":{"f":null}}"#)
        #expect(MergePatch.apply(patch, to: target) == (try JSONValue(parsing: #"{"a":"z","c":{"d":"e"}}"#)))
        #expect(MergePatch.apply(["x": ["y": nil, "z": 1]], to: .null) == ["x": ["z": 1]])
    }

    @Test func envExpansion() {
        let environment = [("A", "1"), ("B", "two")]
        #expect(Kubelet.expand("$(A)-$(B)-$(C)-$$(A)", with: environment) == "1-two-$(C)-$(A)")
    }
}
