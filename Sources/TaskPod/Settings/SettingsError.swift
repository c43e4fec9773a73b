/// Settings that cannot be used: every problem found, not only the first.
public struct SettingsError: Error, Sendable, CustomStringConvertible {
    public var problems: [SettingsProblem]

    public init(problems: [SettingsProblem]) {
        self.problems = problems
    }

    /// One problem a line.
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
