@testable import KubeClient
import Testing

/// The informer's store as a value: watch events and relists in, the handler's events out, the transform applied.
@Suite("InformerCache")
struct InformerCacheTests {
    static func pod(_ name: String, version: String, phase: PodPhase = .pending) -> Pod {
        var meta = ObjectMeta(name: name, namespace: "ns", labels: ["keep": "1", "drop": "2"])
        meta.resourceVersion = version
        var spec = PodSpec(containers: [Container(name: "base", image: "busybox", command: ["true"])])
        spec.nodeName = "n"
        return Pod(metadata: meta, spec: spec, status: PodStatus(phase: phase))
    }

    @Test("watch events add, update and delete, and hand out the transformed Pod")
    func watchEvents() {
        var cache = InformerCache(transform: { $0.keeping(labels: ["keep"], annotations: []) })
        guard case .added(let added)? = cache.apply(.added(Self.pod("a", version: "1"))) else {
            Issue.record("ADDED is not added")
            return
        }
        #expect(added.metadata.labels == ["keep": "1"])
        #expect(added.spec?.containers == [Container(name: "base")])
        #expect(cache.pods["ns/a"] == added)

        guard case .updated(let old, let new)? = cache.apply(.modified(Self.pod("a", version: "2", phase: .running))) else {
            Issue.record("MODIFIED is not updated")
            return
        }
        #expect(old.metadata.resourceVersion == "1" && new.phase == .running)
        #expect(cache.apply(.bookmark(resourceVersion: "3")) == nil)

        guard case .deleted(let gone)? = cache.apply(.deleted(Self.pod("a", version: "4"))) else {
            Issue.record("DELETED is not deleted")
            return
        }
        #expect(gone.name == "a")
        #expect(cache.count == 0)
    }

    @Test("a relist reports the Pods gone as deleted, new ones as added, changed ones as updated")
    func relist() {
        var cache = InformerCache()
        _ = cache.replace(with: [Self.pod("a", version: "1"), Self.pod("b", version: "1"), Self.pod("c", version: "1")])
        let events = cache.replace(with: [Self.pod("b", version: "1"), Self.pod("c", version: "5"), Self.pod("d", version: "6")])
        var deleted: [String] = [], added: [String] = [], updated: [String] = []
        for event in events {
            switch event {
            case .deleted(let pod): deleted.append(pod.name)
            case .added(let pod): added.append(pod.name)
            case .updated(_, let pod): updated.append(pod.name)
            case .synced: Issue.record("a relist's differences hold no synced")
            }
        }
        #expect(deleted == ["a"] && added == ["d"] && updated == ["c"])
        #expect(cache.pods.keys.sorted() == ["ns/b", "ns/c", "ns/d"])
    }
}
