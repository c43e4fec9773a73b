// The benchmark suite of `make bench` (BenchmarkSuite): the bare client's ceiling against KubeSim, the controller on
// queued tasks, live Pods watched, watch events decoded. Prints a table and writes Benchmarks/results/<date>.json.
//
//   make bench                                   (release builds, runs this)
//   ClientBenchmarks --only ceiling,watch --rounds 5
import BenchmarkSuite
import Foundation

let usage = """
    usage: ClientBenchmarks [--kubesim PATH] [--taskpod PATH] [--rounds N] [--creates N] [--in-flight 1,8,64]
                            [--queued 1000,10000] [--parallelism N] [--live-pods N] [--watch-pods N] [--no-http2]
                            [--only ceiling,controller,live-pods,watch] [--tiny] [--json PATH]

    """

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n" + usage).utf8))
    exit(2)
}

func integers(_ text: String) -> [Int] {
    let values = text.split(separator: ",").compactMap { Int($0) }
    guard !values.isEmpty else { fail("not a list of numbers: \(text)") }
    return values
}

var kubesim = ".build/release/kubesim"
var taskpod = ".build/release/taskpod"
var sizes = BenchmarkSuite.Sizes.full
var only: Set<String> = []
var jsonPath: String?
var arguments = CommandLine.arguments.dropFirst()

/// The value after option `flag`.
@MainActor func value(of flag: String) -> String {
    guard let value = arguments.popFirst() else { fail("\(flag) needs a value") }
    return value
}

while let argument = arguments.popFirst() {
    switch argument {
    case "--kubesim": kubesim = value(of: argument)
    case "--taskpod": taskpod = value(of: argument)
    case "--rounds": sizes.rounds = integers(value(of: argument))[0]
    case "--creates": sizes.creates = integers(value(of: argument))[0]
    case "--in-flight": sizes.inFlight = integers(value(of: argument))
    case "--queued": sizes.queued = integers(value(of: argument))
    case "--parallelism": sizes.parallelism = integers(value(of: argument))[0]
    case "--live-pods": sizes.livePods = integers(value(of: argument))[0]
    case "--watch-pods": sizes.watchPods = integers(value(of: argument))[0]
    case "--no-http2": sizes.http2 = false
    case "--tiny": sizes = .tiny
    case "--only": only = Set((value(of: argument)).split(separator: ",").map(String.init))
    case "--json": jsonPath = value(of: argument)
    default: fail("unknown option \(argument)")
    }
}

let directory = NSTemporaryDirectory() + "taskpod-bench-\(ProcessInfo.processInfo.processIdentifier)"
var suite = BenchmarkSuite(kubesim: kubesim, taskpod: taskpod, directory: directory, sizes: sizes) { line in
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
suite.only = only
do {
    let results = try await suite.run()
    try? FileManager.default.removeItem(atPath: directory)
    print("")
    print(results.table)
    let path = jsonPath ?? "Benchmarks/results/\(results.date).json"
    try results.write(to: path)
    print("\nwritten to \(path)")
} catch {
    FileHandle.standardError.write(Data("benchmark failed: \(error)\nits files are kept in \(directory)\n".utf8))
    exit(1)
}
