import Foundation
import JSON
import KubeClient
import KubeSimTestKit
import TestSupport

extension BenchmarkSuite {
    /// KubeSim's own ceiling beyond creates, with a bare client over HTTP/1.1: watch events delivered per second to
    /// ``Sizes/fanOutWatchers`` watchers while Pods are created at 64 in flight, and Pod log reads per second at 64
    /// in flight.
    func simCeiling() async throws -> [BenchmarkFigure] {
        var fanOut: [Double] = [], logReads: [Double] = []
        for round in 0..<sizes.rounds {
            fanOut.append(try await withSim("fan-out-\(round)") { sim in try await fanOutRate(client: try client(sim)) })
            logReads.append(try await withSim("logs-\(round)") { sim in try await logReadRate(client: try client(sim)) })
            say(String(format: "KubeSim: %.0f watch events/s to %d watchers, %.0f log reads/s",
                       fanOut.last!, sizes.fanOutWatchers, logReads.last!))
        }
        return [
            BenchmarkFigure(
                section: "ceiling", name: "KubeSim watch events/s delivered, \(sizes.fanOutWatchers) watchers",
                unit: "events/s", values: fanOut),
            BenchmarkFigure(section: "ceiling", name: "KubeSim log reads/s, 64 in flight", unit: "reads/s", values: logReads),
        ]
    }

    /// `fanOutWatchers` watches from the current resourceVersion, each read until it saw every create as ADDED.
    func fanOutRate(client: KubeClient) async throws -> Double {
        let count = sizes.creates, watchers = sizes.fanOutWatchers
        let version = try await client.listPods(namespace: "default", limit: 1).metadata.resourceVersion
        var watches: [PodWatch] = []
        for _ in 0..<watchers {
            watches.append(try await client.watchPods(
                namespace: "default", labelSelector: "bench=true", resourceVersion: version, timeoutSeconds: 600))
        }
        let start = ContinuousClock.now
        let delivered = try await withThrowingTaskGroup(of: Int.self) { group in
            for watch in watches {
                group.addTask {
                    var events = 0, added = 0
                    for try await event in watch {
                        events += 1
                        if case .added = event { added += 1 }
                        if added == count { break }
                    }
                    return events
                }
            }
            group.addTask {
                _ = try await Self.createPods(client: client, count: count, inFlight: 64, prefix: "f")
                return 0
            }
            return try await group.reduce(0, +)
        }
        return Double(delivered) / (ContinuousClock.now - start).inSeconds
    }

    /// Log reads of Pods that ended with a 20-line log, 64 in flight.
    func logReadRate(client: KubeClient) async throws -> Double {
        let pods = 64, reads = sizes.creates
        let log = (1...20).map { "line \($0) of the task's output" }.joined(separator: "\n")
        for index in 0..<pods {
            var pod = Self.benchPod("log-\(index)", runSeconds: 0)
            pod[path: "metadata", "annotations", "kubesim.taskpod.io/log"] = .string(log)
            _ = try await client.createPod(pod)
        }
        try await waitUntilEnded(client: client, count: pods)
        let start = ContinuousClock.now
        try await Self.keeping(64, running: reads) { index in
            let name = "log-\(index % pods)"
            let text = try await client.podLog(name: name, namespace: "default")
            guard text.hasPrefix("line 1 ") else {
                throw HarnessError("Pod \(name)'s log is not the scripted one: \(text.prefix(80))")
            }
        }
        return Double(reads) / (ContinuousClock.now - start).inSeconds
    }
}
