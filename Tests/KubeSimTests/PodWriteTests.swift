import JSON
import KubeSim
import Testing

@Suite("Pod updates, patches and field validation")
struct PodWriteTests {
    static let quiet = fastConfiguration { $0.scheduleDelay = .seconds(60) }
    static let path = "/api/v1/namespaces/default/pods/web"

    static func twoContainers() -> [JSONValue] {
        [
            ["name": "base", "image": "busybox:1.36", "env": [["name": "A", "value": "1"]]],
            ["name": "sidecar", "image": "envoy:1"],
        ]
    }

    @Test func strategicMergePatchMergesContainersByName() async throws {
        try await withKubeSim(Self.quiet) { _, client in
            try await client.createPod("web", labels: ["keep": "yes"], containers: Self.twoContainers())
            let patch: JSONValue = [
                "metadata": ["labels": ["added": "1"]],
                "spec": ["containers": [["name": "sidecar", "image": "envoy:2"]]],
            ]
            let result = try await client.request(
                "PATCH", Self.path, body: patch.jsonBytes, contentType: "application/strategic-merge-patch+json")
            #expect(result.status == 200, "\(result.text)")
            let containers = result.json[path: "spec", "containers"]?.arrayValue ?? []
            #expect(containers.map { $0["name"] } == ["base", "sidecar"])
            #expect(containers.map { $0["image"] } == ["busybox:1.36", "envoy:2"])
            #expect(containers.first?["env"] == [["name": "A", "value": "1"]])
            #expect(result.json[path: "metadata", "labels"] == ["keep": "yes", "added": "1"])

            // A merge patch replaces the list: only images may change, so the API refuses it.
            let merge = try await client.mergePatch(
                Self.path, ["spec": ["containers": [["name": "sidecar", "image": "envoy:3"]]]])
            #expect(merge.status == 422)
            #expect(merge.json["reason"] == "Invalid")

            let jsonPatch: JSONValue = [
                ["op": "test", "path": "/spec/containers/1/image", "value": "envoy:2"],
                ["op": "replace", "path": "/spec/containers/1/image", "value": "envoy:4"],
            ]
            let json = try await client.request(
                "PATCH", Self.path, body: jsonPatch.jsonBytes, contentType: "application/json-patch+json")
            #expect(json.status == 200)
            #expect(json.json[path: "spec", "containers"]?.arrayValue?.last?["image"] == "envoy:4")
            let failedTest = try await client.request(
                "PATCH", Self.path, body: jsonPatch.jsonBytes, contentType: "application/json-patch+json")
            #expect(failedTest.status == 422)

            let directive: JSONValue = ["spec": ["containers": [["name": "sidecar", "$patch": "delete"]]]]
            let refused = try await client.request(
                "PATCH", Self.path, body: directive.jsonBytes, contentType: "application/strategic-merge-patch+json")
            #expect(refused.status == 422)
        }
    }

    @Test func putReplacesWithOptimisticConcurrency() async throws {
        try await withKubeSim(Self.quiet) { _, client in
            let created = try await client.createPod("web")
            var updated = created
            updated[path: "metadata", "labels"] = ["new": "label"]
            updated[path: "spec", "containers"] = [
                (created[path: "spec", "containers"]?.arrayValue?.first).map { container in
                    var container = container
                    container["image"] = "busybox:1.37"
                    return container
                } ?? .null,
            ]
            let put = try await client.request("PUT", Self.path, body: updated.jsonBytes)
            #expect(put.status == 200, "\(put.text)")
            #expect(put.json[path: "metadata", "labels"] == ["new": "label"])
            #expect(put.json[path: "spec", "containers"]?.arrayValue?.first?["image"] == "busybox:1.37")
            #expect(put.json[path: "metadata", "resourceVersion"] != created[path: "metadata", "resourceVersion"])

            let stale = try await client.request("PUT", Self.path, body: updated.jsonBytes)
            #expect(stale.status == 409)
            #expect(stale.json["message"] == .string(
                "Operation cannot be fulfilled on pods \"web\": the object has been modified; please apply your "
                    + "changes to the latest version and try again"))

            var renamed = put.json
            renamed[path: "metadata", "name"] = "other"
            #expect(try await client.request("PUT", Self.path, body: renamed.jsonBytes).status == 400)
            #expect(try await client.request(
                "PUT", "/api/v1/namespaces/default/pods/absent", body: pod("absent").jsonBytes).status == 404)
        }
    }

    @Test func theStatusSubresourceChangesOnlyTheStatus() async throws {
        try await withKubeSim(Self.quiet) { _, client in
            try await client.createPod("web")
            let status = try await client.get(Self.path + "/status")
            #expect(status.json[path: "status", "phase"] == "Pending")
            var body = status.json
            body[path: "status", "phase"] = "Failed"
            body[path: "metadata", "labels"] = ["ignored": "yes"]
            let put = try await client.request("PUT", Self.path + "/status", body: body.jsonBytes)
            #expect(put.status == 200)
            #expect(put.json[path: "status", "phase"] == "Failed")
            #expect(put.json[path: "metadata", "labels"] == nil)
            let patch = try await client.mergePatch(
                Self.path + "/status", ["status": ["message": "set by test"], "spec": ["activeDeadlineSeconds": 5]])
            #expect(patch.status == 200)
            #expect(patch.json[path: "status", "message"] == "set by test")
            #expect(patch.json[path: "spec", "activeDeadlineSeconds"] == nil)
            let strategic = try await client.request(
                "PATCH", Self.path + "/status", body: (["status": ["reason": "Tested"]] as JSONValue).jsonBytes,
                contentType: "application/strategic-merge-patch+json")
            #expect(strategic.json[path: "status", "reason"] == "Tested")
        }
    }

    @Test func unknownFieldsAreRefusedWhenStrictAndDroppedOtherwise() async throws {
        try await withKubeSim(Self.quiet) { _, client in
            let pods = "/api/v1/namespaces/default/pods"
            var typo = pod("typo")
            typo[path: "spec", "containers"] = [["name": "base", "imagee": "busybox", "image": "busybox"]]
            let strict = try await client.post(pods + "?fieldValidation=Strict", typo)
            #expect(strict.status == 400)
            #expect(strict.json["reason"] == "BadRequest")
            #expect(strict.json["message"] == .string(
                "Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field "
                    + "\"spec.containers[0].imagee\""))

            let warned = try await client.post(pods, typo)
            #expect(warned.status == 201)
            #expect(warned.header("Warning") == #"299 - "unknown field \"spec.containers[0].imagee\"""#)
            #expect(warned.json[path: "spec", "containers"]?.arrayValue?.first?["imagee"] == nil)

            typo[path: "metadata", "name"] = "ignored"
            let ignored = try await client.post(pods + "?fieldValidation=Ignore", typo)
            #expect(ignored.status == 201)
            #expect(ignored.header("Warning") == nil)

            let badDirective = try await client.post(pods + "?fieldValidation=Loose", pod("x"))
            #expect(badDirective.status == 422)

            let patch: JSONValue = ["spec": ["containers": [["name": "base", "imagePolicy": "Always"]]]]
            let strictPatch = try await client.request(
                "PATCH", pods + "/typo?fieldValidation=Strict", body: patch.jsonBytes,
                contentType: "application/strategic-merge-patch+json")
            #expect(strictPatch.status == 400)
            #expect(strictPatch.json["message"]
                == #"strict decoding error: unknown field "spec.containers[0].imagePolicy""#)
        }
    }
}
