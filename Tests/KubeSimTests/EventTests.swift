import Foundation
import JSON
import KubeSim
import Testing

/// core/v1 Events: the API (list with field and label selectors, pages, watch, get, Table, discovery), what the
/// simulated scheduler and kubelet record, and the bounds on how many are kept and for how long.
@Suite("Events")
struct EventTests {
    static func eventsPath(namespace: String? = "default", _ query: String = "") -> String {
        (namespace.map { "/api/v1/namespaces/\($0)/events" } ?? "/api/v1/events") + (query.isEmpty ? "" : "?" + query)
    }

    /// The Events of a Pod, in the order they were written.
    static func events(of pod: String, _ client: SimClient, namespace: String = "default") async throws -> [JSONValue] {
        let result = try await client.get(eventsPath(namespace: namespace, "fieldSelector=involvedObject.name%3D\(pod)"))
        try #require(result.status == 200, "\(result.text)")
        #expect(result.json["kind"] == "EventList")
        return (result.json["items"]?.arrayValue ?? []).sorted {
            Int($0[path: "metadata", "resourceVersion"]?.stringValue ?? "") ?? 0
                < Int($1[path: "metadata", "resourceVersion"]?.stringValue ?? "") ?? 0
        }
    }

    /// Polls a Pod's Events until `predicate` holds on them (at most 15 s).
    static func waitForEvents(
        of pod: String, _ client: SimClient, namespace: String = "default", until predicate: ([JSONValue]) -> Bool
    ) async throws -> [JSONValue] {
        let deadline = ContinuousClock.now + .seconds(15)
        while true {
            let events = try await events(of: pod, client, namespace: namespace)
            if predicate(events) { return events }
            if ContinuousClock.now > deadline {
                Issue.record("the events of \(pod) did not reach the expected state: \(events.map(summary))")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    static func summary(_ event: JSONValue) -> String {
        "\(event["type"]?.stringValue ?? "") \(event["reason"]?.stringValue ?? ""): \(event["message"]?.stringValue ?? "")"
    }

    static func reasons(_ events: [JSONValue]) -> [String] { events.compactMap { $0["reason"]?.stringValue } }

    @Test func aSuccessfulPodsEventsAreThoseOfARealKubelet() async throws {
        try await withKubeSim { _, client in
            let pod = try await client.createPod("ok", annotations: ["kubesim.taskpod.io/run-seconds": "0.05"])
            _ = try await client.waitForPod("ok") { $0.phase == "Succeeded" }
            let events = try await Self.waitForEvents(of: "ok", client) { Self.reasons($0).contains("Started") }
            #expect(Self.reasons(events) == ["Scheduled", "Pulling", "Pulled", "Created", "Started"])
            #expect(events.map(Self.summary) == [
                "Normal Scheduled: Successfully assigned default/ok to kubesim-node-1",
                "Normal Pulling: Pulling image \"busybox:1.36\"",
                events[2]["message"].map { "Normal Pulled: \($0.stringValue ?? "")" } ?? "",
                "Normal Created: Created container: base",
                "Normal Started: Started container base",
            ])
            #expect(events[2]["message"]?.stringValue?.hasPrefix("Successfully pulled image \"busybox:1.36\" in ") == true)
            let scheduled = events[0]
            #expect(scheduled[path: "metadata", "name"]?.stringValue?.hasPrefix("ok.") == true)
            #expect(scheduled[path: "metadata", "namespace"] == "default")
            #expect(scheduled[path: "metadata", "uid"]?.stringValue?.isEmpty == false)
            #expect(scheduled[path: "metadata", "creationTimestamp"]?.stringValue != nil)
            #expect(scheduled[path: "involvedObject", "kind"] == "Pod")
            #expect(scheduled[path: "involvedObject", "name"] == "ok")
            #expect(scheduled[path: "involvedObject", "namespace"] == "default")
            #expect(scheduled[path: "involvedObject", "uid"] == pod[path: "metadata", "uid"])
            #expect(scheduled[path: "involvedObject", "apiVersion"] == "v1")
            #expect(scheduled[path: "involvedObject", "fieldPath"] == nil)
            #expect(scheduled["source"] == ["component": "default-scheduler"])
            #expect(scheduled["reportingComponent"] == "default-scheduler")
            #expect(scheduled["count"] == 1)
            #expect(scheduled["firstTimestamp"] != nil && scheduled["firstTimestamp"] == scheduled["lastTimestamp"])
            let started = events[4]
            #expect(started[path: "involvedObject", "fieldPath"] == "spec.containers{base}")
            #expect(started["source"] == ["component": "kubelet", "host": "kubesim-node-1"])
            #expect(started["reportingInstance"] == "kubesim-node-1")
        }
    }

    @Test func anImagePullFailureIsReportedAndItsRetriesCounted() async throws {
        try await withKubeSim { _, client in
            try await client.createPod("badimage", annotations: ["kubesim.taskpod.io/image-pull-error": "true"])
            let events = try await Self.waitForEvents(of: "badimage", client) { events in
                events.contains { $0["reason"] == "BackOff" && ($0["count"]?.intValue ?? 0) >= 2 }
            }
            let summaries = events.map(Self.summary)
            #expect(summaries.contains(
                "Warning Failed: Failed to pull image \"busybox:1.36\": rpc error: code = NotFound desc = failed to "
                    + "pull and unpack image \"busybox:1.36\": failed to resolve reference \"busybox:1.36\": "
                    + "busybox:1.36: not found"))
            #expect(summaries.contains("Warning Failed: Error: ErrImagePull"))
            #expect(summaries.contains("Normal BackOff: Back-off pulling image \"busybox:1.36\""))
            #expect(summaries.contains("Warning Failed: Error: ImagePullBackOff"))
            // Repeats are counted on one Event each, as the event recorder does.
            #expect(Self.reasons(events).filter { $0 == "BackOff" }.count == 1)
            let pulling = try #require(events.first { $0["reason"] == "Pulling" })
            #expect((pulling["count"]?.intValue ?? 0) >= 2)
            #expect(pulling["lastTimestamp"] != nil)
            #expect(!Self.reasons(events).contains("Started"))
        }
    }

    @Test func unschedulableConfigErrorEvictionAndDeletion() async throws {
        try await withKubeSim { _, client in
            try await client.createPod("unschedulable", annotations: ["kubesim.taskpod.io/unschedulable": "true"])
            try await client.createPod("noconfig", annotations: ["kubesim.taskpod.io/config-error": "true"])
            try await client.createPod(
                "evicted",
                annotations: ["kubesim.taskpod.io/evict-after-seconds": "0.05", "kubesim.taskpod.io/run-seconds": "10"])
            try await client.createPod("long", annotations: ["kubesim.taskpod.io/run-seconds": "30"])

            let failedScheduling = try await Self.waitForEvents(of: "unschedulable", client) { !$0.isEmpty }
            #expect(failedScheduling.map(Self.summary) == [
                "Warning FailedScheduling: 0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are "
                    + "available: 1 No preemption victims found for incoming pod.",
            ])
            #expect(failedScheduling.first?["source"] == ["component": "default-scheduler"])

            let configError = try await Self.waitForEvents(of: "noconfig", client) {
                Self.reasons($0).contains("Failed")
            }
            #expect(configError.map(Self.summary).contains("Warning Failed: Error: secret \"kubesim-missing\" not found"))

            let evicted = try await Self.waitForEvents(of: "evicted", client) { Self.reasons($0).contains("Evicted") }
            #expect(evicted.map(Self.summary).contains(
                "Warning Evicted: The node was low on resource: memory. Threshold quantity: 100Mi, available: 92Mi. "))

            _ = try await client.waitForPod("long") { $0.phase == "Running" }
            #expect(try await client.delete("/api/v1/namespaces/default/pods/long").status == 200)
            let killed = try await Self.waitForEvents(of: "long", client) { Self.reasons($0).contains("Killing") }
            let killing = try #require(killed.last)
            #expect(Self.summary(killing) == "Normal Killing: Stopping container base")
            #expect(killing[path: "involvedObject", "fieldPath"] == "spec.containers{base}")
        }
    }

    @Test func execModeRecordsTheSameEventsAndAContainerThatCannotRun() async throws {
        try await withKubeSim(fastConfiguration { $0.mode = .exec }) { _, client in
            try await client.createPod(
                "runs", containers: [["name": "base", "image": "busybox", "command": ["/bin/sh", "-c", "exit 0"]]])
            try await client.createPod(
                "missing", containers: [["name": "base", "image": "busybox", "command": ["kubesim-no-such-command"]]])
            try await client.createPod(
                "sleeper", containers: [["name": "base", "image": "busybox", "command": ["/bin/sleep", "30"]]])
            let runs = try await Self.waitForEvents(of: "runs", client) { Self.reasons($0).contains("Started") }
            #expect(Self.reasons(runs) == ["Scheduled", "Pulling", "Pulled", "Created", "Started"])
            let missing = try await Self.waitForEvents(of: "missing", client) { Self.reasons($0).contains("Failed") }
            #expect(missing.map(Self.summary).contains(
                "Warning Failed: Error: exec: \"kubesim-no-such-command\": executable file not found in $PATH"))
            _ = try await client.waitForPod("sleeper") { $0.phase == "Running" }
            #expect(try await client.delete("/api/v1/namespaces/default/pods/sleeper").status == 200)
            let killed = try await Self.waitForEvents(of: "sleeper", client) { Self.reasons($0).contains("Killing") }
            #expect(killed.last.map(Self.summary) == "Normal Killing: Stopping container base")
        }
    }

    @Test func fieldAndLabelSelectorsPagesGetAndTable() async throws {
        try await withKubeSim { _, client in
            let a = try await client.createPod("a", annotations: ["kubesim.taskpod.io/run-seconds": "0.05"])
            try await client.createPod("b", annotations: ["kubesim.taskpod.io/unschedulable": "true"])
            try await client.createPod("c", namespace: "team", annotations: ["kubesim.taskpod.io/run-seconds": "0.05"])
            let aEvents = try await Self.waitForEvents(of: "a", client) { Self.reasons($0).contains("Started") }
            _ = try await Self.waitForEvents(of: "b", client) { !$0.isEmpty }
            _ = try await Self.waitForEvents(of: "c", client, namespace: "team") { Self.reasons($0).contains("Started") }

            func names(_ path: String) async throws -> [String] {
                let result = try await client.get(path)
                try #require(result.status == 200, "\(path): \(result.text)")
                return (result.json["items"]?.arrayValue ?? []).compactMap { $0[path: "metadata", "name"]?.stringValue }
            }
            func count(_ query: String, namespace: String? = "default") async throws -> Int {
                try await names(Self.eventsPath(namespace: namespace, query)).count
            }
            #expect(try await count("") == 6)
            #expect(try await count("", namespace: nil) == 11)
            #expect(try await count("", namespace: "team") == 5)
            #expect(try await count("fieldSelector=involvedObject.name%3Da") == 5)
            #expect(try await count("fieldSelector=involvedObject.namespace%3Dteam", namespace: nil) == 5)
            let uid = try #require(a[path: "metadata", "uid"]?.stringValue)
            #expect(try await count("fieldSelector=involvedObject.uid%3D\(uid)") == 5)
            #expect(try await count("fieldSelector=involvedObject.uid%3Dother") == 0)
            #expect(try await count("fieldSelector=involvedObject.kind%3DPod") == 6)
            #expect(try await count("fieldSelector=involvedObject.kind%3DNode") == 0)
            #expect(try await count("fieldSelector=reason%3DScheduled", namespace: nil) == 2)
            #expect(try await count("fieldSelector=type%3DWarning") == 1)
            #expect(try await count("fieldSelector=type!%3DWarning") == 5)
            #expect(try await count("fieldSelector=source%3Ddefault-scheduler") == 2)
            #expect(try await count("fieldSelector=metadata.namespace%3Dteam", namespace: nil) == 5)
            let first = try #require(aEvents.first?[path: "metadata", "name"]?.stringValue)
            #expect(try await names(Self.eventsPath("fieldSelector=metadata.name%3D\(first)")) == [first])
            #expect(try await count("labelSelector=app%3Dx") == 0)
            #expect(try await count("labelSelector=!app") == 6)
            let unsupported = try await client.get(Self.eventsPath("fieldSelector=spec.nodeName%3Dx"))
            #expect(unsupported.status == 400)
            #expect(unsupported.json["message"] == "field label not supported: spec.nodeName")

            // Pages of one snapshot.
            let page = try await client.get(Self.eventsPath("limit=4"))
            #expect(page.json["items"]?.arrayValue?.count == 4)
            #expect(page.json[path: "metadata", "remainingItemCount"] == 2)
            let token = try #require(page.json[path: "metadata", "continue"]?.stringValue)
            let rest = try await client.get(Self.eventsPath("limit=4&continue=\(token)"))
            #expect(rest.json["items"]?.arrayValue?.count == 2)
            #expect(rest.json[path: "metadata", "continue"] == nil)

            // Get by name, and 404.
            let got = try await client.get(Self.eventsPath() + "/" + first)
            #expect(got.status == 200)
            #expect(got.json["kind"] == "Event")
            #expect(got.json["reason"] == "Scheduled")
            let missing = try await client.get(Self.eventsPath() + "/nope")
            #expect(missing.status == 404)
            #expect(missing.json["message"] == "events \"nope\" not found")
            #expect(missing.json[path: "details", "kind"] == "events")

            // Table output, as kubectl get events asks for it.
            let table = try await client.request(
                "GET", Self.eventsPath("fieldSelector=involvedObject.name%3Db"),
                headers: [("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")])
            #expect(table.json["kind"] == "Table")
            #expect(table.json["columnDefinitions"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == [
                "Last Seen", "Type", "Reason", "Object", "Subobject", "Source", "Message", "First Seen", "Count", "Name",
            ])
            let cells = table.json["rows"]?.arrayValue?.first?["cells"]?.arrayValue ?? []
            #expect(Array(cells.dropFirst().prefix(5)) == ["Warning", "FailedScheduling", "pod/b", "", "default-scheduler"])
            #expect(cells.count == 10)
            #expect(cells[8] == 1)
        }
    }

    @Test func watchSeesNewEventsAndDiscoveryListsThem() async throws {
        try await withKubeSim { _, client in
            let listed = try await client.get(Self.eventsPath())
            let version = try #require(listed.json[path: "metadata", "resourceVersion"]?.stringValue)
            let watch = try client.watch(
                Self.eventsPath("watch=true&resourceVersion=\(version)&fieldSelector=involvedObject.name%3Dw"))
            defer { watch.cancel() }
            let all = try client.watch(Self.eventsPath(namespace: nil, "watch=1"))
            defer { all.cancel() }
            try await client.createPod("other")
            try await client.createPod("w")
            let added = try #require(try await watch.next())
            #expect(added.type == "ADDED")
            #expect(added[path: "object", "kind"] == "Event")
            #expect(added[path: "object", "involvedObject", "name"] == "w")
            #expect(added[path: "object", "reason"] == "Scheduled")
            let started = try await watch.next { $0[path: "object", "reason"] == "Started" }
            #expect(started?[path: "object", "involvedObject", "name"] == "w")
            let other = try await all.next { $0[path: "object", "involvedObject", "name"] == "other" }
            #expect(other?.type == "ADDED")

            let resources = try await client.get("/api/v1").json["resources"]?.arrayValue ?? []
            let events = try #require(resources.first { $0["name"] == "events" })
            #expect(events["shortNames"] == ["ev"])
            #expect(events["verbs"] == ["get", "list", "watch"])
            #expect(events["kind"] == "Event")
            let aggregated = try await client.request(
                "GET", "/api",
                headers: [("Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")])
            #expect(aggregated.text.contains(#""resource":"events""#))
        }
    }

    @Test func eventsAreBoundedInNumberAndExpireAfterTheirTTL() async throws {
        try await withKubeSim(fastConfiguration { $0.eventLimit = 3 }) { sim, client in
            try await client.createPod("many", annotations: ["kubesim.taskpod.io/run-seconds": "0.05"])
            _ = try await client.waitForPod("many") { $0.phase == "Succeeded" }
            let kept = try await Self.waitForEvents(of: "many", client) { Self.reasons($0).contains("Started") }
            #expect(Self.reasons(kept) == ["Pulled", "Created", "Started"])
            #expect(await sim.events().count == 3)
        }
        try await withKubeSim(fastConfiguration { $0.eventTTL = .milliseconds(300) }) { sim, client in
            let watch = try client.watch(Self.eventsPath("watch=true"))
            defer { watch.cancel() }
            try await client.createPod("brief", annotations: ["kubesim.taskpod.io/run-seconds": "0.05"])
            // Seen on the watch, not by polling the list: on a loaded machine a 300 ms Event can come and go between
            // two list requests.
            let started = try await watch.next {
                $0.type == "ADDED" && $0[path: "object", "reason"] == "Started"
                    && $0[path: "object", "involvedObject", "name"] == "brief"
            }
            #expect(started != nil)
            _ = try await Self.waitForEvents(of: "brief", client) { $0.isEmpty }
            #expect(await sim.events().isEmpty)
            let deleted = try await watch.next { $0.type == "DELETED" }
            #expect(deleted?[path: "object", "involvedObject", "name"] == "brief")
        }
    }
}
