import JSON
import KubeSim
import Testing

@Suite("Leases")
struct LeaseTests {
    static let leases = "/apis/coordination.k8s.io/v1/namespaces/default/leases"

    static func lease(_ name: String, holder: String, resourceVersion: String? = nil) -> JSONValue {
        var metadata: JSONObject = ["name": .string(name)]
        if let resourceVersion { metadata["resourceVersion"] = .string(resourceVersion) }
        return [
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": .object(metadata),
            "spec": [
                "holderIdentity": .string(holder), "leaseDurationSeconds": 15,
                "renewTime": "2026-01-02T03:04:05.123456Z",
            ],
        ]
    }

    @Test func createGetListAndAlreadyExists() async throws {
        try await withKubeSim { _, client in
            let created = try await client.post(Self.leases, Self.lease("leader", holder: "a"))
            #expect(created.status == 201)
            #expect(created.json["kind"] == "Lease")
            #expect(created.json["apiVersion"] == "coordination.k8s.io/v1")
            #expect(created.json[path: "metadata", "namespace"] == "default")
            #expect(created.json[path: "metadata", "uid"]?.stringValue?.count == 36)
            #expect(created.json[path: "spec", "holderIdentity"] == "a")
            #expect(created.json[path: "spec", "renewTime"] == "2026-01-02T03:04:05.123456Z")

            let again = try await client.post(Self.leases, Self.lease("leader", holder: "b"))
            #expect(again.status == 409)
            #expect(again.text == #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","#
                + #""message":"leases.coordination.k8s.io \"leader\" already exists","reason":"AlreadyExists","#
                + #""details":{"name":"leader","group":"coordination.k8s.io","kind":"leases"},"code":409}"#)

            let got = try await client.get(Self.leases + "/leader")
            #expect(got.status == 200)
            #expect(got.json == created.json)
            let missing = try await client.get(Self.leases + "/nobody")
            #expect(missing.status == 404)
            #expect(missing.json["message"] == #"leases.coordination.k8s.io "nobody" not found"#)

            let list = try await client.get(Self.leases)
            #expect(list.json["kind"] == "LeaseList")
            #expect(list.json["items"]?.arrayValue?.map { $0[path: "metadata", "name"] } == ["leader"])
            #expect(list.json["items"]?.arrayValue?.first?["kind"] == nil)
            #expect(try await client.get("/apis/coordination.k8s.io/v1/leases").json["items"]?.arrayValue?.count == 1)
            #expect(try await client.get(
                "/apis/coordination.k8s.io/v1/namespaces/other/leases").json["items"]?.arrayValue?.count == 0)
        }
    }

    @Test func updatesAreOptimisticallyConcurrent() async throws {
        try await withKubeSim { _, client in
            let created = try await client.post(Self.leases, Self.lease("leader", holder: "a")).json
            let first = try #require(created[path: "metadata", "resourceVersion"]?.stringValue)

            var renewed = created
            renewed[path: "spec", "renewTime"] = "2026-01-02T03:04:15.000000Z"
            let update = try await client.request("PUT", Self.leases + "/leader", body: renewed.jsonBytes)
            #expect(update.status == 200)
            let second = try #require(update.json[path: "metadata", "resourceVersion"]?.stringValue)
            #expect(Int(second)! > Int(first)!)
            #expect(update.json[path: "metadata", "uid"] == created[path: "metadata", "uid"])

            // The other candidate still holds the first version: it lost the race.
            var stolen = created
            stolen[path: "spec", "holderIdentity"] = "b"
            let conflict = try await client.request("PUT", Self.leases + "/leader", body: stolen.jsonBytes)
            #expect(conflict.status == 409)
            #expect(conflict.json["reason"] == "Conflict")
            #expect(conflict.json["message"] == .string(
                "Operation cannot be fulfilled on leases.coordination.k8s.io \"leader\": the object has been "
                    + "modified; please apply your changes to the latest version and try again"))
            #expect(conflict.json[path: "details", "group"] == "coordination.k8s.io")
            #expect(try await client.get(Self.leases + "/leader").json[path: "spec", "holderIdentity"] == "a")

            // An unchanged update keeps its version; one without a version is unconditional.
            let same = try await client.request("PUT", Self.leases + "/leader", body: update.json.jsonBytes)
            #expect(same.json[path: "metadata", "resourceVersion"]?.stringValue == second)
            let unconditional = try await client.request(
                "PUT", Self.leases + "/leader", body: Self.lease("leader", holder: "c").jsonBytes)
            #expect(unconditional.status == 200)
            #expect(unconditional.json[path: "spec", "holderIdentity"] == "c")

            let wrongName = try await client.request(
                "PUT", Self.leases + "/leader", body: Self.lease("other", holder: "c").jsonBytes)
            #expect(wrongName.status == 400)
            let absent = try await client.request(
                "PUT", Self.leases + "/absent", body: Self.lease("absent", holder: "c").jsonBytes)
            #expect(absent.status == 404)

            let patched = try await client.mergePatch(Self.leases + "/leader", ["spec": ["holderIdentity": "d"]])
            #expect(patched.status == 200)
            #expect(patched.json[path: "spec", "holderIdentity"] == "d")
        }
    }

    @Test func invalidLeasesAndDeletion() async throws {
        try await withKubeSim { _, client in
            var invalid = Self.lease("bad", holder: "a")
            invalid[path: "spec", "leaseDurationSeconds"] = 0
            let rejected = try await client.post(Self.leases, invalid)
            #expect(rejected.status == 422)
            #expect(rejected.json["message"]
                == #"Lease.coordination.k8s.io "bad" is invalid: spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0"#)
            var wrongType = Self.lease("typed", holder: "a")
            wrongType[path: "spec", "leaseDurationSeconds"] = "15"
            #expect(try await client.post(Self.leases, wrongType).status == 400)

            let created = try await client.post(Self.leases, Self.lease("gone", holder: "a")).json
            let deleted = try await client.delete(Self.leases + "/gone")
            #expect(deleted.status == 200)
            #expect(deleted.json["status"] == "Success")
            #expect(deleted.json[path: "details", "uid"] == created[path: "metadata", "uid"])
            #expect(try await client.delete(Self.leases + "/gone").status == 404)
            #expect(try await client.get(Self.leases + "/gone").status == 404)
        }
    }
}
