/// The kinds of value a setting takes, as its messages name them.
public enum SettingKind: String, Sendable, Hashable {
    case string
    case integer
    case number
    case boolean
    case list

    /// The kind with its article, for messages: "an integer", "a list of strings".
    public var phrase: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .number: "a number"
        case .boolean: "a boolean (true or false)"
        case .list: "a list of strings (or one comma-separated string)"
        }
    }
}
