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
