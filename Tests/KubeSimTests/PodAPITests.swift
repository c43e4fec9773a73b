import Foundation
import JSON
import KubeSim
import Testing

@Suite("Pod API")
struct PodAPITests {
    @Test func discoveryDocuments() async throws {
        try await withKubeSim { _, client in
            let version = try await client.get("/version")
            #expect(version.status == 200)
            #expect(version.json["gitVersion"] == "v1.37.0-kubesim")
            #expect(try await client.get("/api").json["versions"] == ["v1"])
            let resources = try await client.get("/api/v1").json["resources"]?.arrayValue ?? []
            #expect(resources.compactMap { $0["name"]?.stringValue } == ["events", "pods", "pods/log", "pods/status"])
            #expect(try await client.get("/apis").json["groups"]?.arrayValue?.first?["name"] == "coordination.k8s.io")
            #expect(try await client.get("/healthz").text == "ok")
            let unknown = try await client.get("/api/v1/namespaces/default/services")
            #expect(unknown.status == 404)
            #expect(unknown.json["reason"] == "NotFound")
        }
    }

    @Test func createDefaultsFields() async throws {
        try await withKubeSim { _, client in
            let result = try await client.post("/api/v1/namespaces/default/pods", pod("web-1", labels: ["app": "web"]))
            #expect(result.status == 201)
            #expect(result.header("Content-Type") == "application/json")
            let created = result.json
            #expect(created["kind"] == "Pod")
            #expect(created[path: "metadata", "namespace"] == "default")
            let uid = try #require(created[path: "metadata", "uid"]?.stringValue)
            #expect(UUID(uuidString: uid) != nil)
            let version = try #require(created[path: "metadata", "resourceVersion"]?.stringValue)
            #expect(Int(version) != nil)
            let timestamp = try #require(created[path: "metadata", "creationTimestamp"]?.stringValue)
            #expect(timestamp.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/) != nil)
            #expect(created[path: "status", "phase"] == "Pending")
            #expect(created[path: "status", "qosClass"] == "BestEffort")
            #expect(created[path: "spec", "restartPolicy"] == "Never")
            #expect(created[path: "spec", "terminationGracePeriodSeconds"] == 30)
            #expect(created[path: "spec", "containers", ]?.arrayValue?.first?["imagePullPolicy"] == "IfNotPresent")

            var generated = pod("")
            generated["metadata"] = ["generateName": "task-"]
            let second = try await client.post("/api/v1/namespaces/default/pods", generated)
            #expect(second.status == 201)
            let name = try #require(second.json[path: "metadata", "name"]?.stringValue)
            #expect(name.hasPrefix("task-") && name.count == 10)
            #expect(Int(second.json[path: "metadata", "resourceVersion"]?.stringValue ?? "") ?? 0 > Int(version)!)
        }
    }

    @Test func duplicateIsAlreadyExists() async throws {
        try await withKubeSim { _, client in
            try await client.createPod("twice")
            let result = try await client.post("/api/v1/namespaces/default/pods", pod("twice"))
            #expect(result.status == 409)
            #expect(result.text == #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","#
                + #""message":"pods \"twice\" already exists","reason":"AlreadyExists","#
                + #""details":{"name":"twice","kind":"pods"},"code":409}"#)
        }
    }

    @Test func invalidPodsAreRejected() async throws {
        try await withKubeSim { _, client in
            let badName = try await client.post("/api/v1/namespaces/default/pods", pod("Bad_Name"))
            #expect(badName.status == 422)
            #expect(badName.json["reason"] == "Invalid")
            #expect(badName.json["code"] == 422)
            #expect(badName.json[path: "details", "kind"] == "Pod")
            let causes = badName.json[path: "details", "causes"]?.arrayValue ?? []
            #expect(causes.first?["field"] == "metadata.name")
            #expect(causes.first?["reason"] == "FieldValueInvalid")
            #expect(badName.json["message"]?.stringValue?.hasPrefix(
                #"Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain"#)
                == true)

            var noContainers = pod("empty")
            noContainers[path: "spec", "containers"] = []
            let empty = try await client.post("/api/v1/namespaces/default/pods", noContainers)
            #expect(empty.status == 422)
            #expect(empty.json["message"] == #"Pod "empty" is invalid: spec.containers: Required value"#)

            let noImage = try await client.post(
                "/api/v1/namespaces/default/pods", pod("noimage", containers: [["name": "base"]]))
            #expect(noImage.status == 422)
            #expect(noImage.json[path: "details", "causes"]?.arrayValue?.first?["field"] == "spec.containers[0].image")

            var unnamed = pod("x")
            unnamed["metadata"] = .object([:])
            let missing = try await client.post("/api/v1/namespaces/default/pods", unnamed)
            #expect(missing.status == 422)
            #expect(missing.json[path: "details", "causes"]?.arrayValue?.first?["reason"] == "FieldValueRequired")

            var otherNamespace = pod("elsewhere")
            otherNamespace[path: "metadata", "namespace"] = "other"
            let mismatch = try await client.post("/api/v1/namespaces/default/pods", otherNamespace)
            #expect(mismatch.status == 400)
            #expect(mismatch.json["reason"] == "BadRequest")

            let notJSON = try await client.request(
                "POST", "/api/v1/namespaces/default/pods", body: Array("not json".utf8))
            #expect(notJSON.status == 400)
            var service = pod("svc")
            service["kind"] = "Service"
            #expect(try await client.post("/api/v1/namespaces/default/pods", service).status == 400)
            #expect(try await client.get("/api/v1/namespaces/default/pods").json["items"] == [])
        }
    }

    @Test func getAndNotFound() async throws {
        try await withKubeSim { _, client in
            let created = try await client.createPod("present")
            let found = try await client.get("/api/v1/namespaces/default/pods/present")
            #expect(found.status == 200)
            #expect(found.json[path: "metadata", "uid"] == created[path: "metadata", "uid"])
            let missing = try await client.get("/api/v1/namespaces/default/pods/absent")
            #expect(missing.status == 404)
            #expect(missing.text == #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","#
                + #""message":"pods \"absent\" not found","reason":"NotFound","#
                + #""details":{"name":"absent","kind":"pods"},"code":404}"#)
            #expect(try await client.get("/api/v1/namespaces/other/pods/present").status == 404)
            #expect(try await client.delete("/api/v1/namespaces/default/pods/absent").status == 404)
        }
    }

    @Test func listWithSelectors() async throws {
        try await withKubeSim(fastConfiguration { $0.scheduleDelay = .seconds(60) }) { _, client in
            try await client.createPod("a", labels: ["app": "web", "tier": "front"])
            try await client.createPod("b", labels: ["app": "web", "tier": "back"])
            try await client.createPod("c", labels: ["app": "db"])
            try await client.createPod("d", namespace: "other", labels: ["app": "web"])

            func names(_ query: String, all: Bool = false) async throws -> [String] {
                let path = all ? "/api/v1/pods" : "/api/v1/namespaces/default/pods"
                let list = try await client.get(path + query)
                #expect(list.status == 200, "\(query): \(list.text)")
                return (list.json["items"]?.arrayValue ?? []).compactMap { $0[path: "metadata", "name"]?.stringValue }
            }
            func encoded(_ selector: String) -> String {
                selector.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? selector
            }
            let list = try await client.get("/api/v1/namespaces/default/pods")
            #expect(list.json["kind"] == "PodList")
            #expect(list.json[path: "metadata", "resourceVersion"]?.stringValue != nil)
            #expect(list.json["items"]?.arrayValue?.first?["kind"] == nil)
            #expect(try await names("") == ["a", "b", "c"])
            #expect(try await names("", all: true) == ["a", "b", "c", "d"])
            #expect(try await names("?labelSelector=" + encoded("app=web")) == ["a", "b"])
            #expect(try await names("?labelSelector=" + encoded("app==web")) == ["a", "b"])
            #expect(try await names("?labelSelector=" + encoded("app!=web")) == ["c"])
            #expect(try await names("?labelSelector=tier") == ["a", "b"])
            #expect(try await names("?labelSelector=" + encoded("!tier")) == ["c"])
            #expect(try await names("?labelSelector=" + encoded("tier in (front, side)")) == ["a"])
            #expect(try await names("?labelSelector=" + encoded("tier notin (front)")) == ["b", "c"])
            #expect(try await names("?labelSelector=" + encoded("app=web,tier!=front")) == ["b"])
            #expect(try await names("?labelSelector=" + encoded("app=web"), all: true) == ["a", "b", "d"])
            #expect(try await names("?fieldSelector=" + encoded("status.phase=Pending")) == ["a", "b", "c"])
            #expect(try await names("?fieldSelector=" + encoded("status.phase!=Pending")) == [])
            #expect(try await names("?fieldSelector=" + encoded("metadata.name==b")) == ["b"])
            #expect(try await names("?fieldSelector=" + encoded("metadata.namespace=other"), all: true) == ["d"])

            let pods = "/api/v1/namespaces/default/pods"
            let malformed = try await client.get(pods + "?labelSelector=" + encoded("app in web"))
            #expect(malformed.status == 400)
            #expect(malformed.json["reason"] == "BadRequest")
            let unknownField = try await client.get(pods + "?fieldSelector=" + encoded("spec.foo=x"))
            #expect(unknownField.status == 400)
            #expect(unknownField.json["message"] == "field label not supported: spec.foo")
        }
    }

    @Test func mergePatchOfLabels() async throws {
        try await withKubeSim(fastConfiguration { $0.scheduleDelay = .seconds(60) }) { _, client in
            let created = try await client.createPod("patched", labels: ["keep": "yes", "drop": "me"])
            let result = try await client.mergePatch(
                "/api/v1/namespaces/default/pods/patched",
                ["metadata": ["labels": ["drop": nil, "added": "new"]], "status": ["phase": "Failed"]])
            #expect(result.status == 200)
            #expect(result.json[path: "metadata", "labels"] == ["keep": "yes", "added": "new"])
            #expect(result.json[path: "status", "phase"] == "Pending")
            let before = Int(created[path: "metadata", "resourceVersion"]?.stringValue ?? "") ?? 0
            #expect(Int(result.json[path: "metadata", "resourceVersion"]?.stringValue ?? "") ?? 0 > before)

            let text = try await client.request(
                "PATCH", "/api/v1/namespaces/default/pods/patched", body: Array(#"{"metadata":{}}"#.utf8),
                contentType: "text/plain")
            #expect(text.status == 415)
            #expect(text.json["reason"] == "UnsupportedMediaType")
            #expect(text.json["kind"] == "Status")
            let notAList = try await client.request(
                "PATCH", "/api/v1/namespaces/default/pods/patched", body: Array(#"{"metadata":{}}"#.utf8),
                contentType: "application/json-patch+json")
            #expect(notAList.status == 400)

            let stale = try await client.mergePatch(
                "/api/v1/namespaces/default/pods/patched", ["metadata": ["resourceVersion": "1", "labels": ["x": "y"]]])
            #expect(stale.status == 409)
            let absent = try await client.mergePatch("/api/v1/namespaces/default/pods/nope", ["metadata": [:]])
            #expect(absent.status == 404)
        }
    }

    @Test func auditLogHasOneLinePerRequest() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kubesim-audit-\(UUID()).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await withKubeSim(fastConfiguration { $0.auditLogPath = path }) { sim, client in
            try await client.createPod("audited")
            _ = try await client.get("/api/v1/namespaces/default/pods/audited")
            _ = try await client.get("/api/v1/namespaces/default/pods/missing")
            _ = try await client.get("/api/v1/namespaces/default/pods")
            _ = try await client.delete("/api/v1/namespaces/default/pods/audited")

            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 5)
            let entries = try lines.map { try JSONValue(parsing: String($0)) }
            #expect(entries.map { $0["verb"]?.stringValue ?? "" } == ["create", "get", "get", "list", "delete"])
            #expect(entries.map { $0["code"]?.intValue ?? 0 } == [201, 200, 404, 200, 200])
            #expect(entries[0]["pod"] == "audited")
            #expect(entries[0]["path"] == "/api/v1/namespaces/default/pods")
            #expect(entries[2]["pod"] == "missing")
            #expect(entries.allSatisfy { $0["time"]?.stringValue != nil })
            #expect(await sim.auditEntries() == entries)
        }
    }

    @Test func kubeconfigPointsAtTheServer() async throws {
        try await withKubeSim { sim, _ in
            let url = await sim.baseURL
            let kubeconfig = try await sim.kubeconfig(namespace: "team-a")
            #expect(kubeconfig.contains("server: \(url)\n"))
            #expect(kubeconfig.contains("namespace: \"team-a\""))
            #expect(kubeconfig.contains("current-context: kubesim"))
            await #expect(throws: KubeSimError.self) { try await sim.kubeconfig(namespace: "Not_Valid") }
        }
    }
}
