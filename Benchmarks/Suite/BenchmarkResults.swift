import Foundation

/// What one run of the suite measured, with the machine it ran on: printed as a table and written as JSON
/// (`Benchmarks/results/<date>.json`).
public struct BenchmarkResults: Sendable, Codable {
    public var date: String
    public var machine: String
    public var sizes: BenchmarkSuite.Sizes
    public var figures: [BenchmarkFigure] = []
    /// Sections left out of this run and why (e.g. the steady-load latencies, measured elsewhere).
    public var notMeasured: [String: String] = [:]

    public init(date: String, machine: String, sizes: BenchmarkSuite.Sizes) {
        self.date = date
        self.machine = machine
        self.sizes = sizes
    }

    /// The figure named `name`, if measured.
    public func figure(_ name: String) -> BenchmarkFigure? { figures.first { $0.name == name } }

    /// One line a figure: median, then min and max over the rounds.
    public var table: String {
        let width = max(44, (figures.map(\.name.count).max() ?? 0) + 2)
        var lines = ["machine: \(machine)", "rounds: \(sizes.rounds) (medians; min–max in brackets)", ""]
        var section = ""
        for figure in figures {
            if figure.section != section {
                section = figure.section
                lines.append("[\(section)]")
            }
            let name = figure.name.padding(toLength: width, withPad: " ", startingAt: 0)
            let unit = figure.unit.padding(toLength: 10, withPad: " ", startingAt: 0)
            // Ratios and other small figures get two decimals.
            let format = abs(figure.median) < 10 ? "%.2f" : "%.1f"
            lines.append(name + String(format: "%10" + format.dropFirst() + " ", figure.median) + unit
                + String(format: " (\(format)–\(format), %d rounds)", figure.min, figure.max, figure.values.count))
        }
        for (section, why) in notMeasured.sorted(by: { $0.key < $1.key }) {
            lines.append("[\(section)] not measured: \(why)")
        }
        return lines.joined(separator: "\n")
    }

    /// Writes the results as pretty-printed JSON, creating the folder.
    public func write(to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path))
    }
}
