/// One row of the settings table: a key of the configuration file, its `TASKPOD_<KEY>` variable, its flag, its
/// kind, its help and where its value lives in ``TaskPodSettings``.
///
/// The table (``TaskPodSettings/table``) is the one place a setting is declared: the flag's help, the commented
/// defaults file, `config check` and the documentation all read it.
public struct TaskPodSetting {
    /// The key in the configuration file, snake_case (Airflow's `[kubernetes_executor]` name where one exists).
    public let key: String
    /// The value's kind.
    public let kind: SettingKind
    /// One line: what the setting does; the flag's help is the same text.
    public let help: String
    /// The command-line flag, e.g. `--parallelism`.
    public let flag: String
    /// The value may hold a password (a database URL): never printed.
    public let isSecret: Bool
    /// The value may be null (unset), e.g. `namespace` (then the kubeconfig context's).
    public let isOptional: Bool
    /// The least value an integer or number may take.
    public let minimum: Double?
    /// The only values a string may take.
    public let choices: [String]?

    let read: (TaskPodSettings) -> SettingValue?
    let write: (inout TaskPodSettings, SettingValue?) -> Void

    /// The environment variable that sets it: `TASKPOD_` and the key in upper case.
    public var environmentVariable: String { "TASKPOD_" + key.uppercased() }

    /// The setting's value in `settings`, nil when unset.
    public func value(in settings: TaskPodSettings) -> SettingValue? { read(settings) }

    /// The help as a flag shows it: with the default when there is one (and it is not secret).
    public var flagHelp: String {
        guard let value = read(TaskPodSettings()), !isSecret else { return help }
        let sentence = help.hasSuffix(".") ? String(help.dropLast()) : help
        return "\(sentence) (default: \(Self.text(of: value)))."
    }

    /// A value as a person writes it on the command line: `true`, `32`, `base,sidecar`.
    public static func text(of value: SettingValue) -> String {
        switch value {
        case .string(let string): string
        case .integer(let integer): String(integer)
        case .number(let number): number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
        case .boolean(let boolean): boolean ? "true" : "false"
        case .list(let list): list.joined(separator: ",")
        }
    }
}

extension TaskPodSetting {
    /// A setting that always has a value (its default is the property's initial value).
    init<Value: SettingValueConvertible>(
        _ key: String, _ path: WritableKeyPath<TaskPodSettings, Value>, flag: String? = nil, minimum: Double? = nil,
        choices: [String]? = nil, secret: Bool = false, _ help: String
    ) {
        self.init(
            key: key, kind: Value.settingKind, help: help, flag: flag ?? Self.flag(for: key), isSecret: secret,
            isOptional: false, minimum: minimum, choices: choices,
            read: { $0[keyPath: path].settingValue },
            write: { settings, value in
                if let value, let typed = Value(settingValue: value) { settings[keyPath: path] = typed }
            }
        )
    }

    /// A setting that may be unset (null).
    init<Value: SettingValueConvertible>(
        _ key: String, _ path: WritableKeyPath<TaskPodSettings, Value?>, flag: String? = nil, minimum: Double? = nil,
        secret: Bool = false, _ help: String
    ) {
        self.init(
            key: key, kind: Value.settingKind, help: help, flag: flag ?? Self.flag(for: key), isSecret: secret,
            isOptional: true, minimum: minimum, choices: nil,
            read: { $0[keyPath: path]?.settingValue },
            write: { settings, value in settings[keyPath: path] = value.flatMap(Value.init(settingValue:)) }
        )
    }

    /// `--` and the key in kebab-case: `max_log_bytes` → `--max-log-bytes`.
    static func flag(for key: String) -> String {
        "--" + String(key.map { $0 == "_" ? "-" : $0 })
    }
}
