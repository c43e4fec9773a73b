import JSON
import Testing

@testable import KubeSim

@Suite("What kubectl reads: discovery, OpenAPI, Tables")
struct KubectlSupportTests {
    static let aggregated = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
        + "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
    static let table = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;"
        + "g=meta.k8s.io,application/json"

    @Test func discoveryIsAggregatedWhenAskedFor() async throws {
        try await withKubeSim { _, client in
            let core = try await client.request("GET", "/api", headers: [("Accept", Self.aggregated)])
            #expect(core.header("Content-Type") == Discovery.aggregatedMediaType)
            #expect(core.json["kind"] == "APIGroupDiscoveryList")
            let coreResources = core.json["items"]?.arrayValue?.first?["versions"]?.arrayValue?.first?["resources"]?
                .arrayValue ?? []
            #expect(coreResources.compactMap { $0["resource"]?.stringValue } == ["events", "pods"])
            let pods = coreResources.last
            #expect(pods?["resource"] == "pods")
            #expect(pods?["shortNames"] == ["po"])
            #expect(pods?["scope"] == "Namespaced")
            #expect(pods?["subresources"]?.arrayValue?.compactMap { $0["subresource"]?.stringValue } == ["log", "status"])
            let groups = try await client.request("GET", "/apis", headers: [("Accept", Self.aggregated)])
            #expect(groups.json["items"]?.arrayValue?.first?[path: "metadata", "name"] == "coordination.k8s.io")

            let plain = try await client.get("/api")
            #expect(plain.header("Content-Type") == "application/json")
            #expect(plain.json["kind"] == "APIVersions")
            let resources = try await client.get("/api/v1").json["resources"]?.arrayValue ?? []
            let podResource = resources.first { $0["name"] == "pods" }
            #expect(podResource?["verbs"] == ["create", "delete", "get", "list", "patch", "update", "watch"])
            #expect(podResource?["kind"] == "Pod")
            #expect(podResource?["namespaced"] == true)
            #expect(resources.last?["verbs"] == ["get", "patch", "update"])
            let group = try await client.get("/apis/coordination.k8s.io")
            #expect(group.json["kind"] == "APIGroup")
            let leases = try await client.get("/apis/coordination.k8s.io/v1").json["resources"]?.arrayValue?.first
            #expect(leases?["name"] == "leases")
            #expect(leases?["kind"] == "Lease")
        }
    }

    @Test func openAPIDeclaresFieldValidationAndPatchStrategies() async throws {
        try await withKubeSim { _, client in
            let index = try await client.get("/openapi/v3")
            let url = try #require(index.json[path: "paths", "api/v1", "serverRelativeURL"]?.stringValue)
            #expect(url.hasPrefix("/openapi/v3/api/v1?hash="))
            let document = try await client.get(url)
            #expect(document.status == 200)
            #expect(document.header("Cache-Control") == "public, immutable")
            let paths = try #require(document.json["paths"])
            let pods = try #require(paths["/api/v1/namespaces/{namespace}/pods"])
            let pod = try #require(paths["/api/v1/namespaces/{namespace}/pods/{name}"])
            func parameterNames(_ operation: JSONValue?) -> [String] {
                (operation?["parameters"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
            }
            #expect(parameterNames(pods["post"]).contains("fieldValidation"))
            #expect(parameterNames(pod["patch"]).contains("fieldValidation"))
            #expect(pod[path: "patch", "x-kubernetes-group-version-kind"] == ["group": "", "kind": "Pod", "version": "v1"])
            #expect(pod[path: "patch", "requestBody", "content", "application/strategic-merge-patch+json"] != nil)

            let schemas = try #require(document.json[path: "components", "schemas"])
            let podSchema = try #require(schemas["io.k8s.api.core.v1.Pod"])
            #expect(podSchema["x-kubernetes-group-version-kind"] == [["group": "", "kind": "Pod", "version": "v1"]])
            let containers = schemas[path: "io.k8s.api.core.v1.PodSpec", "properties", "containers"]
            #expect(containers?["x-kubernetes-patch-strategy"] == "merge")
            #expect(containers?["x-kubernetes-patch-merge-key"] == "name")
            #expect(containers?[path: "items", "$ref"] == "#/components/schemas/io.k8s.api.core.v1.Container")
            #expect(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"] != nil)

            let leases = try #require(index.json[path: "paths", "apis/coordination.k8s.io/v1", "serverRelativeURL"]?.stringValue)
            let leaseDocument = try await client.get(leases)
            #expect(leaseDocument.json[path: "components", "schemas", "io.k8s.api.coordination.v1.Lease",
                                       "x-kubernetes-group-version-kind"]
                == [["group": "coordination.k8s.io", "kind": "Lease", "version": "v1"]])
            #expect(try await client.get("/openapi/v2").status == 404)
            #expect(try await client.get("/openapi/v3/apis/apps/v1").status == 404)
        }
    }

    @Test func podsAreTablesWhenKubectlAsks() async throws {
        let configuration = fastConfiguration {
            $0.scheduleDelay = .milliseconds(10)
            $0.startDelay = .milliseconds(10)
        }
        try await withKubeSim(configuration) { _, client in
            try await client.createPod("runner", annotations: ["kubesim.taskpod.io/run-seconds": "30"])
            _ = try await client.waitForPod("runner") { $0.phase == "Running" }
            let list = try await client.request(
                "GET", "/api/v1/namespaces/default/pods?limit=500", headers: [("Accept", Self.table)])
            #expect(list.json["kind"] == "Table")
            #expect(list.json["apiVersion"] == "meta.k8s.io/v1")
            #expect(list.json["columnDefinitions"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
                == ["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node", "Readiness Gates"])
            let row = try #require(list.json["rows"]?.arrayValue?.first)
            let cells = row["cells"]?.arrayValue ?? []
            #expect(cells.prefix(4) == ["runner", "1/1", "Running", "0"])
            #expect(cells[6] == "kubesim-node-1")
            #expect(row[path: "object", "kind"] == "PartialObjectMetadata")
            #expect(row[path: "object", "metadata", "name"] == "runner")
            let full = try await client.request(
                "GET", "/api/v1/namespaces/default/pods?includeObject=Object", headers: [("Accept", Self.table)])
            #expect(full.json["rows"]?.arrayValue?.first?[path: "object", "kind"] == "Pod")
            let single = try await client.request(
                "GET", "/api/v1/namespaces/default/pods/runner", headers: [("Accept", Self.table)])
            #expect(single.json["rows"]?.arrayValue?.count == 1)

            let watch = try client.watch("/api/v1/namespaces/default/pods?watch=true", headers: [("Accept", Self.table)])
            defer { watch.cancel() }
            let first = try await watch.next()
            #expect(first?[path: "object", "kind"] == "Table")
            #expect(first?[path: "object", "columnDefinitions"]?.arrayValue?.count == 9)
            _ = try await client.delete("/api/v1/namespaces/default/pods/runner")
            let next = try await watch.next()
            #expect(next?.type == "MODIFIED")
            #expect(next?[path: "object", "columnDefinitions"] == [])
            #expect(next?[path: "object", "rows"]?.arrayValue?.first?["cells"]?.arrayValue?[2] == "Terminating")
        }
    }

    @Test func statusColumnFollowsKubectl() {
        func pod(phase: String, waiting: String? = nil, terminated: JSONValue? = nil, deleting: Bool = false) -> JSONValue {
            var state: JSONValue = ["running": ["startedAt": "2026-01-01T00:00:00Z"]]
            if let waiting { state = ["waiting": ["reason": .string(waiting)]] }
            if let terminated { state = ["terminated": terminated] }
            var value: JSONValue = [
                "metadata": ["name": "p", "creationTimestamp": "2026-01-01T00:00:00Z"],
                "spec": ["containers": [["name": "base"]]],
                "status": ["phase": .string(phase), "containerStatuses": [["name": "base", "state": state, "ready": false, "restartCount": 2]]],
            ]
            if deleting { value[path: "metadata", "deletionTimestamp"] = "2026-01-01T00:01:00Z" }
            return value
        }
        let now = Timestamp(rfc3339: "2026-01-01T00:05:30Z")!
        #expect(PodTable.cells(pod(phase: "Pending", waiting: "CreateContainerConfigError"), now: now)[2]
            == "CreateContainerConfigError")
        #expect(PodTable.cells(pod(phase: "Failed", terminated: ["exitCode": 137, "reason": "OOMKilled"]), now: now)[2]
            == "OOMKilled")
        #expect(PodTable.cells(pod(phase: "Failed", terminated: ["exitCode": 3]), now: now)[2] == "ExitCode:3")
        #expect(PodTable.cells(pod(phase: "Running", deleting: true), now: now)[2] == "Terminating")
        #expect(PodTable.cells(pod(phase: "Running"), now: now)[3] == "2")
        #expect(PodTable.cells(pod(phase: "Running"), now: now)[4] == "5m30s")
        #expect(PodTable.humanDuration(seconds: 45) == "45s")
        #expect(PodTable.humanDuration(seconds: 3 * 3600 + 60) == "3h1m")
        #expect(PodTable.humanDuration(seconds: 3 * 86400 + 7200) == "3d2h")
        #expect(PodTable.humanDuration(seconds: 400 * 86400) == "400d")
    }
}
