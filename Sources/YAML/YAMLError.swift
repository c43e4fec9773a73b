/// A YAML text that could not be read, with the 1-based line and column of the problem.
///
/// The message names what went wrong (libyaml's problem and context, a duplicate key, an unknown alias);
/// it may name mapping keys and anchors but never quotes scalar values, so it is safe to log even when the
/// text held a token or a private key.
public struct YAMLError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, e.g. `duplicate key "name"`.
    public var message: String
    /// The 1-based line of the problem.
    public var line: Int
    /// The 1-based column of the problem, in characters.
    public var column: Int

    /// Creates an error at a 1-based line and column.
    public init(message: String, line: Int, column: Int) {
        self.message = message
        self.line = line
        self.column = column
    }

    /// The error as `line L, column C: message`.
    public var description: String { "line \(line), column \(column): \(message)" }
}

extension YAMLError {
    init(_ message: String, at mark: YAMLMark) {
        self.init(message: message, line: mark.line, column: mark.column)
    }
}
