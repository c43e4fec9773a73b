import CYAML

/// A libyaml event parser over one YAML text.
///
/// Owns the C parser and a copy of the input bytes (libyaml reads them in place), both freed in `deinit`.
/// Not `Sendable`: a parser is used by one thread, start to end.
final class YAMLEventParser {
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    private let input: UnsafeMutableBufferPointer<UInt8>
    private let count: Int
    private var finished = false

    /// Prepares a parser over a copy of `text`'s UTF-8 bytes.
    init(text: String) throws(YAMLError) {
        let count = text.utf8.count
        // One spare byte so that an empty text still has a buffer to point at.
        let input = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: count + 1)
        _ = input.initialize(fromContentsOf: text.utf8)
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        guard yaml_parser_initialize(parser) == 1 else {
            parser.deallocate()
            input.deallocate()
            throw YAMLError(message: "cannot initialize the YAML parser: out of memory", line: 1, column: 1)
        }
        yaml_parser_set_input_string(parser, input.baseAddress, count)
        self.parser = parser
        self.input = input
        self.count = count
    }

    deinit {
        yaml_parser_delete(parser)
        parser.deallocate()
        input.deallocate()
    }

    /// The next event of the stream; after the stream end event it keeps returning stream end.
    func next() throws(YAMLError) -> YAMLEvent {
        if finished { return YAMLEvent(kind: .streamEnd, start: YAMLMark(line: 1, column: 1)) }
        var event = yaml_event_t()
        guard yaml_parser_parse(parser, &event) == 1 else { throw currentError() }
        defer { yaml_event_delete(&event) }
        let start = YAMLMark(event.start_mark)
        let kind: YAMLEvent.Kind
        switch event.type {
        case YAML_STREAM_START_EVENT:
            kind = .streamStart
        case YAML_STREAM_END_EVENT:
            finished = true
            kind = .streamEnd
        case YAML_DOCUMENT_START_EVENT:
            kind = .documentStart
        case YAML_DOCUMENT_END_EVENT:
            kind = .documentEnd
        case YAML_ALIAS_EVENT:
            kind = .alias(anchor: Self.string(event.data.alias.anchor) ?? "")
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let value = scalar.value.map {
                String(decoding: UnsafeBufferPointer(start: $0, count: scalar.length), as: UTF8.self)
            } ?? ""
            let style: YAMLEvent.ScalarStyle
            switch scalar.style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE, YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .quoted
            case YAML_LITERAL_SCALAR_STYLE, YAML_FOLDED_SCALAR_STYLE: style = .block
            default: style = .plain
            }
            kind = .scalar(YAMLEvent.Scalar(
                value: value, anchor: Self.string(scalar.anchor), tag: Self.string(scalar.tag), style: style))
        case YAML_SEQUENCE_START_EVENT:
            let sequence = event.data.sequence_start
            kind = .sequenceStart(anchor: Self.string(sequence.anchor), tag: Self.string(sequence.tag))
        case YAML_SEQUENCE_END_EVENT:
            kind = .sequenceEnd
        case YAML_MAPPING_START_EVENT:
            let mapping = event.data.mapping_start
            kind = .mappingStart(anchor: Self.string(mapping.anchor), tag: Self.string(mapping.tag))
        case YAML_MAPPING_END_EVENT:
            kind = .mappingEnd
        default:
            throw YAMLError("unexpected YAML event \(event.type.rawValue)", at: start)
        }
        return YAMLEvent(kind: kind, start: start)
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    /// The parser's error: libyaml's problem at its problem mark, with the context when there is one.
    private func currentError() -> YAMLError {
        let state = parser.pointee
        var message = state.problem.map { String(cString: $0) } ?? "invalid YAML"
        var mark = YAMLMark(state.problem_mark)
        switch state.error {
        case YAML_MEMORY_ERROR:
            message = "out of memory while parsing YAML"
        case YAML_READER_ERROR:
            // Reader errors carry a byte offset instead of a mark.
            if state.problem_value != -1 {
                let hex = String(state.problem_value, radix: 16, uppercase: true)
                message += " (#x\(hex))"
            }
            mark = position(ofByte: Int(state.problem_offset))
        default:
            break
        }
        if let context = state.context.map({ String(cString: $0) }) {
            let at = YAMLMark(state.context_mark)
            message += " (\(context) at line \(at.line), column \(at.column))"
        }
        return YAMLError(message: message, line: mark.line, column: mark.column)
    }

    /// The line and column (in characters) of a byte offset in the input.
    private func position(ofByte offset: Int) -> YAMLMark {
        let end = min(offset, count)
        var line = 1
        var column = 1
        for byte in input[..<end] {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return YAMLMark(line: line, column: column)
    }
}

@available(*, unavailable)
extension YAMLEventParser: Sendable {}
