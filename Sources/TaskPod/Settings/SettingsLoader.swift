import Foundation
import JSON
import YAML

/// Builds ``TaskPodSettings`` from a configuration file, then `TASKPOD_*` environment variables over it, then
/// command-line flags over both, collecting every problem on the way.
///
/// Apply the sources from the weakest to the strongest; ``settings()`` then checks ranges and throws every problem
/// at once. Messages say where each value was written (file line and column, variable, flag) and never quote a
/// secret (`db`).
///
/// ```swift
/// var loader = SettingsLoader()
/// loader.apply(file: try String(contentsOfFile: path, encoding: .utf8), path: path)
/// loader.apply(environment: ProcessInfo.processInfo.environment)
/// loader.apply(flags: ["parallelism": .integer(8)])
/// let settings = try loader.settings()   // throws SettingsError
/// ```
public struct SettingsLoader {
    /// The values so far.
    public private(set) var values = TaskPodSettings()
    /// Problems found so far: unknown keys, wrong types, unreadable YAML.
    public private(set) var problems: [SettingsProblem] = []
    /// Things that work but look wrong: a `TASKPOD_*` variable that is no setting but nearly names one.
    public private(set) var warnings: [SettingsProblem] = []
    /// Where each set value came from, for range messages; a key leaves when a stronger source sets it.
    private var origins: [String: SettingOrigin] = [:]
    private let table: [TaskPodSetting]
    private let byKey: [String: TaskPodSetting]

    public init() {
        table = TaskPodSettings.table
        byKey = Dictionary(uniqueKeysWithValues: table.map { ($0.key, $0) })
    }

    /// Applies a configuration file's text: a YAML mapping of keys to values.
    public mutating func apply(file text: String, path: String) {
        let document: (value: JSONValue, keys: [String: YAMLMark])
        do {
            document = try YAML.parseWithPositions(text)
        } catch {
            problems.append(SettingsProblem(origin: .file(path: path, line: error.line, column: error.column), key: "", message: error.message))
            return
        }
        let object: JSONObject
        switch document.value {
        case .null:
            return
        case .object(let mapping):
            object = mapping
        default:
            let kind = document.value.kindName
            problems.append(SettingsProblem(origin: .file(path: path, line: 1, column: 1), key: "",
                                            message: "expected a mapping of settings (key: value), not \(kind == "array" ? "a list" : "a \(kind)")"))
            return
        }
        for (key, json) in object {
            let mark = document.keys[key]
            let origin = SettingOrigin.file(path: path, line: mark?.line, column: mark?.column)
            guard let setting = byKey[key] else {
                problems.append(SettingsProblem(origin: origin, key: key, message: "unknown key \"\(key)\"" + suggestion(for: key)))
                continue
            }
            if case .null = json, setting.isOptional {
                setting.write(&values, nil)
                origins[setting.key] = origin
            } else {
                set(setting, Self.value(of: json, as: setting.kind), origin: origin, given: Self.describe(json, secret: setting.isSecret))
            }
        }
    }

    /// Applies `TASKPOD_<KEY>` variables; others starting `TASKPOD_` that nearly name a setting get a warning. An
    /// empty variable counts as not set.
    public mutating func apply(environment: [String: String]) {
        let prefix = "TASKPOD_"
        for (name, text) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix(prefix) && !text.isEmpty {
            let key = String(name.dropFirst(prefix.count)).lowercased()
            guard let setting = byKey[key], name == setting.environmentVariable else {
                if let nearest = NearestName.nearest(to: key, in: table.map(\.key)) {
                    let expected = byKey[nearest]?.environmentVariable ?? nearest
                    warnings.append(SettingsProblem(origin: .environment(name), key: key,
                                                    message: "not a taskpod setting (ignored); did you mean \(expected)?"))
                }
                continue
            }
            let given = setting.isSecret ? "the value given" : "\"\(text)\""
            set(setting, Self.value(of: text, as: setting.kind), origin: .environment(name), given: given)
        }
    }

    /// Applies values of command-line flags, by setting key; only flags given on the command line belong here.
    public mutating func apply(flags: [String: SettingValue]) {
        for (key, value) in flags.sorted(by: { $0.key < $1.key }) {
            guard let setting = byKey[key] else { preconditionFailure("no setting \(key)") }
            set(setting, value, origin: .flag(setting.flag), given: setting.isSecret ? "the value given" : TaskPodSetting.text(of: value))
        }
    }

    /// Every problem: those found while applying, then values out of range.
    public var allProblems: [SettingsProblem] {
        (problems + rangeProblems()).enumerated().sorted { Self.order($0).lexicographicallyPrecedes(Self.order($1)) }.map(\.element)
    }

    /// File problems by line, then the others as found.
    private static func order(_ entry: (offset: Int, element: SettingsProblem)) -> [Int] {
        guard case .file(_, let line, let column) = entry.element.origin else { return [Int.max, entry.offset] }
        return [line ?? 0, column ?? 0, entry.offset]
    }

    /// The settings, or every problem as a ``SettingsError``.
    public func settings() throws(SettingsError) -> TaskPodSettings {
        let all = allProblems
        guard all.isEmpty else { throw SettingsError(problems: all) }
        return values
    }

    /// Where the value of `key` came from.
    public func origin(of key: String) -> SettingOrigin { origins[key] ?? .defaults }

    private mutating func set(_ setting: TaskPodSetting, _ value: SettingValue?, origin: SettingOrigin, given: String) {
        guard let value else {
            problems.append(SettingsProblem(origin: origin, key: setting.key,
                                            message: "\(setting.key) must be \(setting.kind.phrase), not \(given)"))
            return
        }
        setting.write(&values, value)
        origins[setting.key] = origin
    }

    private func suggestion(for key: String) -> String {
        guard let nearest = NearestName.nearest(to: key, in: table.map(\.key)) else {
            return " (taskpod config defaults lists every key)"
        }
        return "; did you mean \"\(nearest)\"?"
    }

    private func rangeProblems() -> [SettingsProblem] {
        var found: [SettingsProblem] = []
        func report(_ key: String, _ message: String) {
            found.append(SettingsProblem(origin: origin(of: key), key: key, message: message))
        }
        for setting in table {
            switch setting.value(in: values) {
            case .integer(let value):
                if let minimum = setting.minimum, Double(value) < minimum {
                    report(setting.key, "\(setting.key) must be at least \(Int(minimum)), not \(value)")
                }
            case .number(let value):
                if let minimum = setting.minimum, value < minimum {
                    report(setting.key, "\(setting.key) must be at least \(minimum), not \(value)")
                }
            case .string(let value):
                if let choices = setting.choices, !choices.contains(value) {
                    report(setting.key, "\(setting.key) must be one of \(choices.joined(separator: ", ")), not \"\(value)\"")
                }
            case .list(let value):
                if value.contains(where: \.isEmpty) { report(setting.key, "\(setting.key) must not hold empty names") }
            case .boolean, nil:
                break
            }
        }
        if values.logContainers.isEmpty { report("log_containers", "log_containers must name a container, e.g. base") }
        if values.heartbeatTimeout < 3 * values.heartbeatInterval {
            report(
                "heartbeat_timeout",
                "heartbeat_timeout must be at least 3 × heartbeat_interval (\(3 * values.heartbeatInterval) s), not "
                    + "\(values.heartbeatTimeout): a shorter one declares a live controller dead after one slow heartbeat"
            )
        }
        return found
    }
}

extension SettingsLoader {
    /// A file's value as a setting of `kind`; nil when it is of another kind. A list also takes one
    /// comma-separated string, as Airflow's `multi_namespace_mode_namespace_list` does.
    static func value(of json: JSONValue, as kind: SettingKind) -> SettingValue? {
        switch (kind, json) {
        case (.string, .string(let string)): return .string(string)
        case (.integer, .int(let integer)): return Int(exactly: integer).map(SettingValue.integer)
        case (.integer, .double(let double)): return Int(exactly: double).map(SettingValue.integer)
        case (.number, .int(let integer)): return .number(Double(integer))
        case (.number, .double(let double)): return .number(double)
        case (.boolean, .bool(let bool)): return .boolean(bool)
        case (.list, .string(let string)): return value(of: string, as: .list)
        case (.list, .array(let values)):
            var strings: [String] = []
            for case .string(let string) in values { strings.append(string) }
            return strings.count == values.count ? .list(strings) : nil
        default: return nil
        }
    }

    /// An environment variable's text as a setting of `kind`; nil when it does not read as one.
    static func value(of text: String, as kind: SettingKind) -> SettingValue? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        switch kind {
        case .string: return .string(text)
        case .integer: return Int(trimmed).map(SettingValue.integer)
        case .number: return Double(trimmed).map(SettingValue.number)
        case .boolean:
            switch trimmed.lowercased() {
            case "true": return .boolean(true)
            case "false": return .boolean(false)
            default: return nil
            }
        case .list:
            return .list(commaSeparated: text)
        }
    }

    /// A wrong value for a message: scalars quoted unless secret, collections by kind.
    static func describe(_ json: JSONValue, secret: Bool) -> String {
        switch json {
        case .null: return "null"
        case .array(let values): return values.allSatisfy { $0.stringValue != nil } ? "a list" : "a list holding non-strings"
        case .object: return "a mapping"
        case _ where secret: return json.kindName == "integer" ? "an integer" : "a \(json.kindName)"
        default: return "\(json.kindName) \(json.jsonString)"
        }
    }
}
