import CYAML

/// A position in a YAML text, 1-based as people count lines and columns.
public struct YAMLMark: Sendable, Hashable {
    /// The 1-based line.
    public var line: Int
    /// The 1-based column, in characters.
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// The position of a libyaml mark (0-based line and column).
    init(_ mark: yaml_mark_t) {
        line = Int(mark.line) + 1
        column = Int(mark.column) + 1
    }
}

/// One libyaml parser event, copied out of C memory so it outlives `yaml_event_delete`.
struct YAMLEvent {
    /// How a scalar was written; only plain scalars are typed by the core schema.
    enum ScalarStyle {
        case plain
        case quoted
        case block
    }

    struct Scalar {
        var value: String
        var anchor: String?
        var tag: String?
        var style: ScalarStyle
    }

    enum Kind {
        case streamStart
        case streamEnd
        case documentStart
        case documentEnd
        case alias(anchor: String)
        case scalar(Scalar)
        case sequenceStart(anchor: String?, tag: String?)
        case sequenceEnd
        case mappingStart(anchor: String?, tag: String?)
        case mappingEnd
    }

    var kind: Kind
    var start: YAMLMark
}
