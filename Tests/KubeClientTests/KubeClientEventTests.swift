import Foundation
import JSON
import KubeClient
import KubeSim
import KubeSimTestKit
import TestSupport
import Testing

@Suite("KubeClient reads a Pod's Events from KubeSim")
struct KubeClientEventTests {
    @Test("podEvents returns the Warning events of a Pod whose image pull fails, oldest first, and no other Pod's")
    func podEventsOfAnImagePullFailure() async throws {
        var configuration = KubeSimConfiguration(mode: .scripted)
        configuration.scheduleDelay = .milliseconds(20)
        configuration.startDelay = .milliseconds(20)
        try await withKubeSim(configuration) { sim in
            let client = sim.client
            let bad = try await client.createPod(KubeClientPodTests.pod(
                "bad", annotations: ["kubesim.taskpod.io/image-pull-error": "true"]))
            _ = try await client.createPod(KubeClientPodTests.pod("good"))
            var events: [CoreEvent] = []
            let sawBackOff = await eventually(timeout: .seconds(15)) {
                events = (try? await client.podEvents(name: "bad", namespace: "default", uid: bad.metadata.uid)) ?? []
                return events.contains { $0.message == "Error: ImagePullBackOff" }
            }
            #expect(sawBackOff, "\(events)")
            #expect(events.allSatisfy { $0.involvedObject.name == "bad" && $0.involvedObject.kind == "Pod" })
            #expect(events.allSatisfy { $0.involvedObject.uid == bad.metadata.uid })
            let times = events.map { $0.time ?? .distantPast }
            #expect(times == times.sorted(), "oldest first")
            #expect(events.first?.reason == "Scheduled")
            #expect(events.first?.source == CoreEvent.EventSource(component: "default-scheduler"))

            let warnings = events.filter { $0.type == "Warning" }
            let messages = warnings.compactMap(\.message)
            #expect(messages.contains { $0.hasPrefix("Failed to pull image \"busybox\": rpc error: code = NotFound") })
            #expect(messages.contains("Error: ErrImagePull"))
            #expect(messages.contains("Error: ImagePullBackOff"))
            #expect(warnings.allSatisfy { $0.reason == "Failed" && $0.involvedObject.fieldPath == "spec.containers{base}" })
            #expect(warnings.allSatisfy { $0.source == CoreEvent.EventSource(component: "kubelet", host: "kubesim-node-1") })
            #expect(warnings.allSatisfy { ($0.count ?? 0) >= 1 && $0.firstTimestamp != nil && $0.lastTimestamp != nil })

            // Another Pod's Events, an earlier Pod's uid, and a Pod without Events.
            #expect(await eventually {
                let good = (try? await client.podEvents(name: "good", namespace: "default")) ?? []
                return good.contains { $0.reason == "Started" } && good.allSatisfy { $0.involvedObject.name == "good" }
            })
            #expect(try await client.podEvents(name: "bad", namespace: "default", uid: "another-uid").isEmpty)
            #expect(try await client.podEvents(name: "none", namespace: "default").isEmpty)
            #expect(try await client.podEvents(name: "bad", namespace: "elsewhere").isEmpty)
        }
    }

    @Test("CoreEvent decodes an Event of the events.k8s.io API (eventTime, no lastTimestamp)")
    func decodesEventTime() throws {
        let json = #"""
            {"metadata":{"name":"p.1"},"involvedObject":{"kind":"Pod","name":"p","namespace":"default"},
             "reason":"Scheduled","message":"Successfully assigned default/p to n","type":"Normal",
             "eventTime":"2026-01-02T03:04:05.123456Z","firstTimestamp":null,"lastTimestamp":null,
             "reportingComponent":"default-scheduler","source":{}}
            """#
        let event = try JSONDecoder().decode(CoreEvent.self, from: Data(json.utf8))
        #expect(event.eventTime == "2026-01-02T03:04:05.123456Z")
        #expect(event.lastTimestamp == nil)
        #expect(event.source == CoreEvent.EventSource())
        let time = try #require(event.time)
        #expect(abs(time.timeIntervalSince1970 - 1_767_323_045.123456) < 0.001)
    }
}
