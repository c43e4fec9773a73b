import Foundation
import KubeClient
import KubeSimTestKit
import TaskPod
import TestSupport

extension BenchmarkSuite {
    /// Watch events/s decoded and applied to an informer cache with the controller's transform: `watchPods` Pods
    /// that ran and succeeded (full status) are read back as one watch from the current state, first over the socket
    /// (KubeClient's `watchPods`, as the informer reads it), then from the bytes recorded off the same watch (the
    /// decoding path alone, no transport).
    func watch() async throws -> [BenchmarkFigure] {
        let count = sizes.watchPods
        var socketRates: [Double] = [], recordedRates: [Double] = []
        for round in 0..<sizes.rounds {
            let (socket, recording) = try await withSim("watch-\(round)") { sim in
                let client = try client(sim)
                _ = try await Self.createPods(client: client, count: count, inFlight: 64, prefix: "w\(round)", runSeconds: 0)
                try await waitUntilEnded(client: client, count: count)
                let socket = try await socketRate(client: client, count: count)
                let recording = try await record(sim: sim, count: count)
                return (socket, recording)
            }
            socketRates.append(socket)
            recordedRates.append(try Self.replay(recording, count: count))
            say(String(format: "watch, %d events: %.0f/s over the socket, %.0f/s recorded (%d bytes)",
                       count, socket, recordedRates.last!, recording.count))
        }
        return [
            BenchmarkFigure(section: "watch", name: "watch events/s decoded+applied, recorded stream", unit: "events/s",
                            values: recordedRates),
            BenchmarkFigure(section: "watch", name: "watch events/s decoded+applied, over the socket", unit: "events/s",
                            values: socketRates),
        ]
    }

    /// Waits until the simulator's kubelet has moved all `count` Pods to Succeeded.
    func waitUntilEnded(client: KubeClient, count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(300)
        while ContinuousClock.now < deadline {
            let pods = try await client.listAllPods(namespace: "default", labelSelector: "bench=true").items
            if pods.filter({ $0.phase == .succeeded }).count >= count { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw HarnessError("the simulator's Pods did not all succeed within 300 s")
    }

    /// One watch from the current state: `count` ADDED events, through `PodWatch` and an ``InformerCache``.
    func socketRate(client: KubeClient, count: Int) async throws -> Double {
        var cache = InformerCache(transform: Controller.cachedView)
        let start = ContinuousClock.now
        let watch = try await client.watchPods(namespace: "default", labelSelector: "bench=true", timeoutSeconds: 600)
        var seen = 0
        for try await event in watch {
            if cache.apply(event) != nil { seen += 1 }
            if seen == count { break }
        }
        return Double(seen) / (ContinuousClock.now - start).inSeconds
    }

    /// The raw bytes of the same watch, `count` lines.
    func record(sim: SimProcess, count: Int) async throws -> [UInt8] {
        let url = sim.baseURL + "/api/v1/namespaces/default/pods?watch=true&labelSelector=bench%3Dtrue&timeoutSeconds=600"
        let stream = try await CurlEngine.shared.stream(HTTPRequest(method: .get, url: url, timeout: nil))
        var bytes: [UInt8] = []
        var lines = 0
        while lines < count, let chunk = try await stream.next() {
            bytes += chunk
            lines += chunk.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        }
        return bytes
    }

    /// Feeds `recording` in 16 KiB chunks (what libcurl hands over) through the watch's line splitter and decoder
    /// into an informer cache; returns events per second.
    static func replay(_ recording: [UInt8], count: Int) throws -> Double {
        var cache = InformerCache(transform: Controller.cachedView)
        var splitter = LineSplitter()
        let decoder = JSONDecoder()
        var applied = 0
        let start = ContinuousClock.now
        var offset = 0
        while offset < recording.count {
            let end = min(recording.count, offset + 16 << 10)
            for line in splitter.append(Array(recording[offset..<end])) {
                if cache.apply(try PodWatch.decodeEvent(line, decoder: decoder)) != nil { applied += 1 }
            }
            offset = end
        }
        let seconds = (ContinuousClock.now - start).inSeconds
        guard applied >= count else { throw HarnessError("the recording held \(applied) events, not \(count)") }
        return Double(applied) / seconds
    }
}
