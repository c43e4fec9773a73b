/// Where a setting's value came from.
public enum SettingOrigin: Sendable, Hashable, CustomStringConvertible {
    /// Its default.
    case defaults
    /// A configuration file, at the key's 1-based line and column when known.
    case file(path: String, line: Int?, column: Int?)
    /// An environment variable.
    case environment(String)
    /// A command-line flag.
    case flag(String)

    /// `taskpod.yaml:3:1`, `$TASKPOD_PARALLELISM`, `--parallelism`, `default`.
    public var description: String {
        switch self {
        case .defaults: "default"
        case .file(let path, let line?, let column?): "\(path):\(line):\(column)"
        case .file(let path, _, _): path
        case .environment(let name): "$\(name)"
        case .flag(let flag): flag
        }
    }
}

/// One thing wrong (or suspicious) in the settings, with where it was written and the fix.
///
/// Never quotes the value of a secret setting (`db`).
public struct SettingsProblem: Sendable, Hashable, CustomStringConvertible {
    /// Where it was written.
    public var origin: SettingOrigin
    /// The setting's key, or for an unknown one the key as written.
    public var key: String
    /// What is wrong, e.g. `unknown key "paralelism"; did you mean "parallelism"?`.
    public var message: String

    public init(origin: SettingOrigin, key: String, message: String) {
        self.origin = origin
        self.key = key
        self.message = message
    }

    /// `taskpod.yaml:3:1: unknown key "paralelism"; did you mean "parallelism"?`
    public var description: String { "\(origin): \(message)" }
}

/// Settings that cannot be used: every problem found, not only the first.
public struct SettingsError: Error, Sendable, CustomStringConvertible {
    public var problems: [SettingsProblem]

    public init(problems: [SettingsProblem]) {
        self.problems = problems
    }

    /// One problem a line.
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
