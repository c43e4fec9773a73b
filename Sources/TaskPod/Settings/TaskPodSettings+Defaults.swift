import JSON

extension TaskPodSettings {
    /// A complete configuration file: every key at its default, each after a comment with its help, its flag and its
    /// variable. What `taskpod config defaults` prints; it passes `taskpod config check`.
    public static func defaultsFile() -> String {
        let defaults = TaskPodSettings()
        var lines = [
            "# taskpod controller configuration (taskpod controller --config FILE): every key at its default.",
            "# Precedence: this file, then TASKPOD_<KEY> environment variables, then command-line flags.",
            "# Durations are in seconds; null leaves a setting unset (its comment says what that means).",
        ]
        for setting in table {
            lines.append("")
            lines.append("# \(setting.help) (\(setting.flag), $\(setting.environmentVariable))")
            lines.append("\(setting.key): \(yaml(setting.value(in: defaults)))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A value as YAML (flow style, JSON's spelling: valid YAML that keeps strings strings).
    static func yaml(_ value: SettingValue?) -> String {
        let json: JSONValue
        switch value {
        case nil: json = .null
        case .string(let string)?: json = .string(string)
        case .integer(let integer)?: json = .int(Int64(integer))
        case .number(let number)?: json = .double(number)
        case .boolean(let boolean)?: json = .bool(boolean)
        case .list(let list)?: json = .array(list.map(JSONValue.string))
        }
        return json.jsonString
    }
}
