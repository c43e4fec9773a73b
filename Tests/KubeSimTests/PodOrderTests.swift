import JSON
@testable import KubeSim
import Testing

/// The key order every commit gives a stored Pod (and Event): the API server's, unknown keys after; an object in
/// order already is kept as it is.
@Suite("Stored objects in the API server's key order")
struct PodOrderTests {
    @Test("a Pod out of order is reordered, top level and metadata, unknown keys last in their own order")
    func reorders() {
        let pod: JSONValue = [
            "status": ["phase": "Pending"], "zeta": 1, "metadata": ["labels": ["a": "b"], "x-unknown": 1, "name": "p"],
            "kind": "Pod", "apiVersion": "v1", "alpha": 2,
        ]
        let ordered = PodDefaults.ordered(pod)
        #expect(ordered.objectValue?.keys == ["kind", "apiVersion", "metadata", "status", "zeta", "alpha"])
        #expect(ordered["metadata"]?.objectValue?.keys == ["name", "labels", "x-unknown"])
        #expect(ordered == pod)
        #expect(PodDefaults.isOrdered(ordered, ["kind", "apiVersion", "metadata", "spec", "status"]))
        #expect(PodDefaults.ordered(ordered).objectValue?.keys == ordered.objectValue?.keys)
    }

    @Test("isOrdered: known keys in order, then unknown ones", arguments: [
        (["a", "c", "x"], true), (["c", "a"], false), (["x", "a"], false), ([], true), (["x", "y"], true), (["b", "x", "y"], true),
    ])
    func isOrdered(keys: [String], expected: Bool) {
        let object = JSONValue.object(JSONObject(keys.map { ($0, JSONValue.int(1)) }))
        #expect(PodDefaults.isOrdered(object, ["a", "b", "c"]) == expected)
    }

    @Test("container IDs are 64 lowercase hex digits, different each time")
    func containerIDs() {
        let first = Kubelet.randomHex(64), second = Kubelet.randomHex(64)
        #expect(first.count == 64 && second.count == 64)
        #expect(first.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(first != second)
    }
}
