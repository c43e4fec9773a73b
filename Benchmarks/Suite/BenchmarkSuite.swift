import Foundation
import KubeClient
import KubeSimTestKit
import Logging
import TestSupport

/// The benchmark suite of `make bench`: KubeSim and `taskpod controller` in their own processes (release builds),
/// each figure measured `rounds` times on a fresh simulator.
///
/// - `ceiling`: Pod creates/s of a bare ``KubeClient`` at 1, 8, 16 (the controller's create concurrency), 64 and 256
///   requests in flight, over HTTP/1.1 and over HTTP/2 with TLS; the simulator's CPU per create; the simulator's
///   watch fan-out (events/s to 8 watchers while creating) and log reads/s.
/// - `controller`: N tasks queued before the controller starts, run to their end (instant Pods): Pods/s, its ratio to
///   the bare client's creates/s at the controller's 16 in flight, the controller's CPU ms per task, peak RSS; the
///   simulator's CPU ms per task.
/// - `live-pods`: N long-running Pods watched by one controller: its RSS once all run.
/// - `watch`: Pod watch events/s decoded and applied to an informer cache (with the controller's transform), from a
///   recorded stream in memory and over the socket from KubeSim.
///
/// ```swift
/// let suite = BenchmarkSuite(kubesim: ".build/release/kubesim", taskpod: ".build/release/taskpod",
///                            directory: "/tmp/bench", sizes: .tiny) { print($0) }
/// let results = try await suite.run()
/// print(results.table)
/// ```
public struct BenchmarkSuite: Sendable {
    /// How much each part does.
    public struct Sizes: Sendable, Codable, Equatable {
        public var rounds = 3
        /// Creates per round of the ceiling (a quarter with 1 in flight).
        public var creates = 4_000
        public var inFlight = [1, 8, 16, 64, 256]
        /// Whether the ceiling is also measured over HTTP/2 with TLS.
        public var http2 = true
        /// Tasks queued before the controller starts, one run each.
        public var queued = [1_000, 10_000]
        /// `--parallelism` of the controller runs.
        public var parallelism = 256
        /// Live Pods watched (0: left out).
        public var livePods = 10_000
        /// Rounds of the live-Pods run.
        public var livePodsRounds = 3
        /// Pods in the recorded and the socket watch streams.
        public var watchPods = 20_000
        /// Watches reading the same creates in the fan-out ceiling.
        public var fanOutWatchers = 8

        public init() {}

        /// `make bench`.
        public static let full = Sizes()

        /// A few seconds: what the test runs so the suite cannot rot.
        public static var tiny: Sizes {
            var sizes = Sizes()
            sizes.rounds = 1
            sizes.creates = 40
            sizes.inFlight = [1, 8]
            sizes.queued = [20]
            sizes.parallelism = 16
            sizes.livePods = 20
            sizes.livePodsRounds = 1
            sizes.watchPods = 50
            sizes.fanOutWatchers = 2
            return sizes
        }
    }

    public var kubesim: String
    public var taskpod: String
    /// A scratch folder for the simulators' kubeconfigs and the stores; each run has its own below it.
    public var directory: String
    public var sizes: Sizes
    /// Sections to run (all when empty): `ceiling`, `controller`, `live-pods`, `watch`.
    public var only: Set<String> = []
    public var say: @Sendable (String) -> Void

    public init(kubesim: String, taskpod: String, directory: String, sizes: Sizes, say: @escaping @Sendable (String) -> Void) {
        self.kubesim = kubesim
        self.taskpod = taskpod
        self.directory = directory
        self.sizes = sizes
        self.say = say
    }

    static let sections = ["ceiling", "controller", "live-pods", "watch"]

    /// The controller's creates in flight (`ControllerConfiguration.createConcurrency`), against which its Pods/s are
    /// compared.
    static let controllerInFlight = 16

    /// Runs the sections asked for; every process it starts is stopped before it returns or throws.
    public func run() async throws -> BenchmarkResults {
        let date = Date().formatted(.iso8601.year().month().day())
        var results = BenchmarkResults(date: date, machine: BenchmarkSuite.machine, sizes: sizes)
        results.notMeasured["steady"] = "queue→create and terminal→recorded latencies at a steady 100 tasks/s belong to "
            + "the launch-latency work (issue 12, part A); its figures go in this section"
        let wanted = only.isEmpty ? Set(Self.sections) : only
        if wanted.contains("ceiling") { results.figures += try await ceiling() + simCeiling() }
        if wanted.contains("controller") {
            let ceiling = results.figure(Self.ceilingName(protocol: "HTTP/1.1", inFlight: Self.controllerInFlight))
            results.figures += try await controller(ceiling: ceiling)
        }
        if wanted.contains("live-pods"), sizes.livePods > 0 { results.figures += try await livePods() }
        if wanted.contains("watch") { results.figures += try await watch() }
        return results
    }

    /// Cores, memory and CPU model, as BENCHMARKS.md names the machine.
    static var machine: String {
        let info = ProcessInfo.processInfo
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" } ?? "?"
        return "\(info.activeProcessorCount) cores (\(model)), \(info.physicalMemory >> 30) GiB"
    }

    /// A fresh folder below ``directory``.
    func folder(_ name: String) throws -> String {
        let path = directory + "/" + name
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Starts the simulator (no audit log: it would cost the simulator time), runs `body`, stops it.
    func withSim<T>(_ name: String, tls: Bool = false, _ body: (SimProcess) async throws -> T) async throws -> T {
        let sim = try await SimProcess.start(
            binary: kubesim, directory: try folder(name), extraArguments: tls ? ["--tls"] : [], auditLog: false)
        return try await sim.process.stoppingAfter(grace: .seconds(5)) { try await body(sim) }
    }

    /// A client of `sim` without pacing or retries beyond the default: the transport's ceiling.
    func client(_ sim: SimProcess) throws -> KubeClient {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        return KubeClient(config: try KubeConfig.load(path: sim.kubeconfigPath), logger: logger, pacing: .unlimited)
    }
}
