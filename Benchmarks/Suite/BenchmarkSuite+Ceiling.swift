import JSON
import KubeClient
import KubeSimTestKit
import TestSupport

extension BenchmarkSuite {
    static func ceilingName(protocol: String, inFlight: Int) -> String {
        "creates/s, \(`protocol`), \(inFlight) in flight"
    }

    /// A Pod the simulator keeps running for an hour: the creates are measured, not the kubelet.
    static func benchPod(_ name: String, runSeconds: Int = 3600) -> JSONValue {
        [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": .string(name), "labels": ["bench": "true"],
                         "annotations": ["kubesim.taskpod.io/run-seconds": .string(String(runSeconds))]],
            "spec": ["restartPolicy": "Never", "containers": [["name": "base", "image": "busybox", "command": ["true"]]]],
        ]
    }

    /// Runs `body(0)` … `body(count - 1)` keeping `inFlight` of them running at once.
    static func keeping(_ inFlight: Int, running count: Int, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func add() {
                let index = next
                next += 1
                group.addTask { try await body(index) }
            }
            for _ in 0..<min(inFlight, count) { add() }
            while try await group.next() != nil {
                if next < count { add() }
            }
        }
    }

    /// Creates `count` Pods keeping `inFlight` requests outstanding; returns creates per second.
    static func createPods(
        client: KubeClient, count: Int, inFlight: Int, prefix: String, runSeconds: Int = 3600
    ) async throws -> Double {
        let start = ContinuousClock.now
        try await keeping(inFlight, running: count) { index in
            do {
                _ = try await client.createPod(benchPod("\(prefix)-\(index)", runSeconds: runSeconds))
            } catch let error as KubeError where error.code == .alreadyExists {
                // A create retried after a connection error whose first attempt had landed: the Pod is there, as the
                // controller would find it (it adopts on 409).
            }
        }
        return Double(count) / (ContinuousClock.now - start).inSeconds
    }

    /// The bare client's creates/s against a fresh simulator per round, and the simulator's CPU per create.
    func ceiling() async throws -> [BenchmarkFigure] {
        var figures: [BenchmarkFigure] = []
        let protocols: [(name: String, tls: Bool)] = [("HTTP/1.1", false)] + (sizes.http2 ? [("HTTP/2+TLS", true)] : [])
        for (name, tls) in protocols {
            var simMicroseconds: [Double] = []
            for inFlight in sizes.inFlight {
                var rates: [Double] = []
                for round in 0..<sizes.rounds {
                    let count = inFlight == 1 ? max(1, sizes.creates / 4) : sizes.creates
                    let (rate, simCPU) = try await withSim("ceiling-\(tls ? "tls" : "plain")-\(inFlight)-\(round)", tls: tls) { sim in
                        let client = try client(sim)
                        let before = ProcessSample.read(pid: sim.process.pid)?.cpuSeconds ?? 0
                        let rate = try await Self.createPods(client: client, count: count, inFlight: inFlight, prefix: "p\(round)")
                        let after = ProcessSample.read(pid: sim.process.pid)?.cpuSeconds ?? 0
                        return (rate, (after - before) / Double(count))
                    }
                    rates.append(rate)
                    if inFlight == sizes.inFlight.last { simMicroseconds.append(simCPU * 1e6) }
                }
                let figure = BenchmarkFigure(
                    section: "ceiling", name: Self.ceilingName(protocol: name, inFlight: inFlight), unit: "creates/s", values: rates)
                say("\(figure.name): median \(Int(figure.median.rounded()))")
                figures.append(figure)
            }
            figures.append(BenchmarkFigure(
                section: "ceiling", name: "KubeSim CPU per create, \(name), \(sizes.inFlight.last ?? 0) in flight", unit: "µs",
                values: simMicroseconds))
        }
        return figures
    }
}
