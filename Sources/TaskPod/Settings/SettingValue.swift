import Foundation

/// A setting's value, whichever source gave it.
public enum SettingValue: Sendable, Hashable {
    case string(String)
    case integer(Int)
    case number(Double)
    case boolean(Bool)
    case list([String])
}

extension SettingValue {
    /// A list from comma-separated text (`base, sidecar`), names trimmed, empty ones dropped.
    public static func list(commaSeparated text: String) -> SettingValue {
        .list(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }
}
