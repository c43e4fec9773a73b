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
