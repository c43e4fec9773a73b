/// One measured figure of the suite: its name, unit and the value of each round, with the median, minimum and maximum.
public struct BenchmarkFigure: Sendable, Codable, Equatable {
    /// Which part of the suite measured it: `ceiling`, `controller`, `live-pods`, `watch`, `steady`.
    public var section: String
    /// What it is, e.g. `creates/s, HTTP/1.1, 64 in flight`.
    public var name: String
    public var unit: String
    /// One value per round, in the order measured.
    public var values: [Double]

    public init(section: String, name: String, unit: String, values: [Double]) {
        self.section = section
        self.name = name
        self.unit = unit
        self.values = values
    }

    public var median: Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    public var min: Double { values.min() ?? .nan }
    public var max: Double { values.max() ?? .nan }

    enum CodingKeys: String, CodingKey { case section, name, unit, values, median, min, max }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        section = try container.decode(String.self, forKey: .section)
        name = try container.decode(String.self, forKey: .name)
        unit = try container.decode(String.self, forKey: .unit)
        values = try container.decode([Double].self, forKey: .values)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(section, forKey: .section)
        try container.encode(name, forKey: .name)
        try container.encode(unit, forKey: .unit)
        try container.encode(values, forKey: .values)
        try container.encode(median, forKey: .median)
        try container.encode(min, forKey: .min)
        try container.encode(max, forKey: .max)
    }
}
