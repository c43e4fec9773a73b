import BenchmarkSuite
import Foundation
import TestSupport
import Testing

/// `make bench`'s suite on tiny sizes, with the debug build's `kubesim` and `taskpod`, so it cannot rot between
/// benchmark runs: every section runs, every figure is a positive number, and the JSON reads back.
@Suite("The benchmark suite runs on tiny sizes")
struct BenchmarkSuiteTests {
    @Test("every section measures, and the results are written as JSON")
    func tinySuite() async throws {
        let directory = try TemporaryDirectory(prefix: "taskpod-bench-test")
        defer { directory.remove() }
        let suite = BenchmarkSuite(
            kubesim: try BuiltBinary.locate(BuiltBinary.kubesim), taskpod: try BuiltBinary.locate(BuiltBinary.taskpod),
            directory: directory.path, sizes: .tiny) { _ in }
        let results = try await suite.run()
        let sections = Set(results.figures.map(\.section))
        #expect(sections == ["ceiling", "controller", "live-pods", "watch"])
        for figure in results.figures {
            #expect(figure.values.count >= 1, "\(figure.name)")
            #expect(figure.values.allSatisfy { $0.isFinite && $0 > 0 }, "\(figure.name): \(figure.values)")
        }
        for name in ["creates/s, HTTP/1.1, 8 in flight", "creates/s, HTTP/2+TLS, 8 in flight", "Pods/s, 20 queued, parallelism 16",
                     "controller RSS, 20 live Pods watched", "watch events/s decoded+applied, recorded stream",
                     "watch events/s decoded+applied, over the socket", "KubeSim watch events/s delivered, 2 watchers",
                     "KubeSim log reads/s, 64 in flight"] {
            #expect(results.figure(name) != nil, "no figure \(name) in \(results.figures.map(\.name))")
        }
        #expect(results.table.contains("[steady] not measured"))

        let path = directory.file("results/today.json")
        try results.write(to: path)
        let written = try JSONDecoder().decode(BenchmarkResults.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(written.figures == results.figures)
        #expect(written.sizes == .tiny)
    }
}
