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
