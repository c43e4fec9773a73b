// Client benchmarks: KubeClient against KubeSim running in another process (`kubesim`).
//
//   make bench            (builds release, runs this)
//
// Measures Pod creates per second with 1, 8 and 64 requests in flight, and watch events per second.
// Each figure is the median of several rounds.
import Foundation
import JSON
import KubeClient
import Logging

struct Options {
    var kubesim = ".build/release/kubesim"
    var creates = 2000
    var rounds = 5
}

func parseOptions() -> Options {
    var options = Options()
    var arguments = CommandLine.arguments.dropFirst()
    while let argument = arguments.popFirst() {
        switch argument {
        case "--kubesim": options.kubesim = arguments.popFirst() ?? options.kubesim
        case "--creates": options.creates = Int(arguments.popFirst() ?? "") ?? options.creates
        case "--rounds": options.rounds = Int(arguments.popFirst() ?? "") ?? options.rounds
        default:
            FileHandle.standardError.write(Data("usage: ClientBenchmarks [--kubesim PATH] [--creates N] [--rounds N]\n".utf8))
            exit(2)
        }
    }
    return options
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func pod(_ name: String) -> JSONValue {
    [
        "apiVersion": "v1", "kind": "Pod",
        "metadata": ["name": .string(name), "labels": ["bench": "true"],
                     "annotations": ["kubesim.taskpod.io/run-seconds": "3600"]],
        "spec": ["restartPolicy": "Never", "containers": [["name": "base", "image": "busybox", "command": ["true"]]]],
    ]
}

/// Starts `kubesim` on a free port and returns the process and a client for it.
func startSim(_ options: Options, directory: String) async throws -> (Process, KubeClient) {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let kubeconfig = directory + "/kubeconfig"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: options.kubesim)
    process.arguments = ["--port", "0", "--mode", "scripted", "--write-kubeconfig", kubeconfig, "--log-level", "error"]
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    for _ in 0..<200 where !FileManager.default.fileExists(atPath: kubeconfig) {
        try await Task.sleep(for: .milliseconds(50))
    }
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    let client = KubeClient(config: try KubeConfig.load(path: kubeconfig), logger: logger, pacing: .unlimited)
    return (process, client)
}

func createRound(client: KubeClient, count: Int, inFlight: Int, prefix: String) async throws -> Double {
    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        var next = 0
        for _ in 0..<min(inFlight, count) {
            let index = next
            next += 1
            group.addTask { _ = try await client.createPod(pod("\(prefix)-\(index)")) }
        }
        while try await group.next() != nil {
            if next < count {
                let index = next
                next += 1
                group.addTask { _ = try await client.createPod(pod("\(prefix)-\(index)")) }
            }
        }
    }
    return Double(count) / (ContinuousClock.now - start).inSeconds
}

@main
struct ClientBenchmarks {
    static func main() async throws {
        let options = parseOptions()
        let directory = NSTemporaryDirectory() + "taskpod-bench-\(ProcessInfo.processInfo.processIdentifier)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        print("KubeClient → KubeSim (another process, scripted mode, loopback HTTP/1.1); \(options.rounds) rounds, medians")
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB")

        for inFlight in [1, 8, 64] {
            var rates: [Double] = []
            for round in 0..<options.rounds {
                // A fresh simulator each round, so rounds do not slow each other with a growing store.
                let (process, client) = try await startSim(options, directory: directory + "/c\(inFlight)-\(round)")
                defer { process.terminate(); process.waitUntilExit() }
                let count = inFlight == 1 ? options.creates / 4 : options.creates
                rates.append(try await createRound(client: client, count: count, inFlight: inFlight, prefix: "p\(round)"))
            }
            print(String(format: "pod creates/s, %2d in flight: median %7.0f  (min %.0f, max %.0f)",
                         inFlight, median(rates), rates.min()!, rates.max()!))
        }

        var eventRates: [Double] = []
        for round in 0..<options.rounds {
            let (process, client) = try await startSim(options, directory: directory + "/w\(round)")
            defer { process.terminate(); process.waitUntilExit() }
            let count = options.creates
            let list = try await client.listPods(namespace: "default")
            let watch = try await client.watchPods(namespace: "default", labelSelector: "bench=true",
                                                   resourceVersion: list.metadata.resourceVersion, timeoutSeconds: 600)
            let start = ContinuousClock.now
            async let created: Double = createRound(client: client, count: count, inFlight: 64, prefix: "w")
            var added = 0
            for try await event in watch {
                if case .added = event { added += 1 }
                if added == count { break }
            }
            let seconds = (ContinuousClock.now - start).inSeconds
            _ = try await created
            eventRates.append(Double(added) / seconds)
        }
        print(String(format: "watch events/s (ADDED, while creating with 64 in flight): median %7.0f", median(eventRates)))
    }
}
