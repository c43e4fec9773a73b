import Foundation

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

/// A setting's value, whichever source gave it.
public enum SettingValue: Sendable, Hashable {
    case string(String)
    case integer(Int)
    case number(Double)
    case boolean(Bool)
    case list([String])
}

/// The Swift types a setting can hold.
public protocol SettingValueConvertible {
    static var settingKind: SettingKind { get }
    init?(settingValue: SettingValue)
    var settingValue: SettingValue { get }
}

extension String: SettingValueConvertible {
    public static var settingKind: SettingKind { .string }
    public init?(settingValue: SettingValue) {
        guard case .string(let value) = settingValue else { return nil }
        self = value
    }
    public var settingValue: SettingValue { .string(self) }
}

extension Int: SettingValueConvertible {
    public static var settingKind: SettingKind { .integer }
    public init?(settingValue: SettingValue) {
        guard case .integer(let value) = settingValue else { return nil }
        self = value
    }
    public var settingValue: SettingValue { .integer(self) }
}

extension Double: SettingValueConvertible {
    public static var settingKind: SettingKind { .number }
    public init?(settingValue: SettingValue) {
        switch settingValue {
        case .number(let value): self = value
        case .integer(let value): self = Double(value)
        default: return nil
        }
    }
    public var settingValue: SettingValue { .number(self) }
}

extension Bool: SettingValueConvertible {
    public static var settingKind: SettingKind { .boolean }
    public init?(settingValue: SettingValue) {
        guard case .boolean(let value) = settingValue else { return nil }
        self = value
    }
    public var settingValue: SettingValue { .boolean(self) }
}

extension Array: SettingValueConvertible where Element == String {
    public static var settingKind: SettingKind { .list }
    public init?(settingValue: SettingValue) {
        guard case .list(let value) = settingValue else { return nil }
        self = value
    }
    public var settingValue: SettingValue { .list(self) }
}

extension SettingValue {
    /// A list from comma-separated text (`base, sidecar`), names trimmed, empty ones dropped.
    public static func list(commaSeparated text: String) -> SettingValue {
        .list(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }
}
