import TaskPod

/// Flags given on the command line, by setting key; a nil (a flag not given) is left out.
struct GivenSettings {
    private(set) var values: [String: SettingValue] = [:]

    subscript<Value: SettingValueConvertible>(key: String) -> Value? {
        get { values[key].flatMap(Value.init(settingValue:)) }
        set { if let newValue { values[key] = newValue.settingValue } }
    }

    /// A comma-separated flag value as a list.
    subscript(list key: String) -> String? {
        get { nil }
        set { if let newValue { values[key] = .list(commaSeparated: newValue) } }
    }
}
