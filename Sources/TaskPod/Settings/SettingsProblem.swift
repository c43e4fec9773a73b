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
