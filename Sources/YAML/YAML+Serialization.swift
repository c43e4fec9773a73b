import JSON

extension YAML {
    /// Emits YAML for a JSON value: block style, 2-space indent, object keys in order.
    ///
    /// The text reads back as the same value: strings that would read as another type (`"true"`, `"1"`,
    /// `"null"`, `""`) or that YAML would misread (`": "`, `" #"`, leading or trailing spaces) are double-quoted,
    /// as are YAML 1.1 booleans such as `"yes"` for the sake of older readers. Multi-line strings are literal
    /// blocks (`|`) when that reads back exactly, and double-quoted otherwise.
    ///
    /// - Parameter value: The value to write, e.g. a rendered Pod.
    /// - Returns: The YAML text of one document, ending in a newline.
    ///
    /// ```swift
    /// YAML.serialize(["name": "web", "replicas": 2, "ports": [80, 443]])
    /// // name: web
    /// // replicas: 2
    /// // ports:
    /// //   - 80
    /// //   - 443
    /// ```
    public static func serialize(_ value: JSONValue) -> String {
        var writer = YAMLWriter()
        writer.writeDocument(value)
        return writer.output
    }
}

/// Writes block-style YAML for JSON values.
private struct YAMLWriter {
    /// Keys longer than this are written as explicit (`? key`) keys: libyaml limits implicit keys to 1024 characters.
    static let maxImplicitKeyLength = 1000

    var output = ""

    mutating func writeDocument(_ value: JSONValue) {
        switch value {
        case .array(let values) where !values.isEmpty:
            writeSequence(values, indent: 0, continuingLine: false)
        case .object(let object) where !object.isEmpty:
            writeMapping(object, indent: 0, continuingLine: false)
        default:
            // A top-level literal block's lines are indented like those of a nested one.
            writeInline(value, indent: 2)
        }
    }

    /// Writes a non-empty sequence at `indent`; when `continuingLine`, its first item goes on the current line.
    private mutating func writeSequence(_ values: [JSONValue], indent: Int, continuingLine: Bool) {
        for (offset, value) in values.enumerated() {
            if offset > 0 || !continuingLine { writeIndent(indent) }
            output += "-"
            switch value {
            case .array(let values) where !values.isEmpty:
                output += " "
                writeSequence(values, indent: indent + 2, continuingLine: true)
            case .object(let object) where !object.isEmpty:
                output += " "
                writeMapping(object, indent: indent + 2, continuingLine: true)
            default:
                output += " "
                writeInline(value, indent: indent + 2)
            }
        }
    }

    /// Writes a non-empty mapping at `indent`; when `continuingLine`, its first key goes on the current line.
    private mutating func writeMapping(_ object: JSONObject, indent: Int, continuingLine: Bool) {
        var first = true
        for (key, value) in object {
            if !first || !continuingLine { writeIndent(indent) }
            first = false
            let keyText = Self.flowScalar(key)
            if keyText.utf8.count > Self.maxImplicitKeyLength {
                output += "? "
                output += keyText
                output += "\n"
                writeIndent(indent)
            } else {
                output += keyText
            }
            output += ":"
            switch value {
            case .array(let values) where !values.isEmpty:
                output += "\n"
                writeSequence(values, indent: indent + 2, continuingLine: false)
            case .object(let object) where !object.isEmpty:
                output += "\n"
                writeMapping(object, indent: indent + 2, continuingLine: false)
            default:
                output += " "
                writeInline(value, indent: indent + 2)
            }
        }
    }

    /// Writes a scalar or an empty collection and ends the line; a literal block's lines go at `indent`.
    private mutating func writeInline(_ value: JSONValue, indent: Int) {
        switch value {
        case .null: output += "null"
        case .bool(let bool): output += bool ? "true" : "false"
        case .int(let int): output += String(int)
        case .double(let double): output += Self.format(double)
        case .array: output += "[]"
        case .object: output += "{}"
        case .string(let string):
            if Self.canWriteLiteralBlock(string) {
                writeLiteralBlock(string, indent: indent)
                return
            }
            output += Self.flowScalar(string)
        }
        output += "\n"
    }

    private mutating func writeIndent(_ indent: Int) {
        output.append(contentsOf: repeatElement(" ", count: indent))
    }

    // MARK: Scalars

    /// A double as YAML: always with a `.` or an exponent so it reads back as a double, `.inf` and `.nan` spelled out.
    private static func format(_ value: Double) -> String {
        if value.isNaN { return ".nan" }
        if value.isInfinite { return value < 0 ? "-.inf" : ".inf" }
        return String(value)
    }

    /// A string as a plain scalar when it reads back as the same string, else double-quoted.
    private static func flowScalar(_ string: String) -> String {
        isPlainSafe(string) ? string : doubleQuoted(string)
    }

    /// Whether a string may be written plain: it must read back as itself under the core schema and under YAML 1.1,
    /// hold only printable characters, and contain nothing YAML would take as structure.
    private static func isPlainSafe(_ string: String) -> Bool {
        let bytes = string.utf8
        guard let first = bytes.first, let last = bytes.last else { return false }
        switch first {
        case UInt8(ascii: "-"):
            // `-x` is plain, `- x`, `-` and `---` are not.
            guard bytes.count > 1, !string.hasPrefix("---"), bytes.dropFirst().first != UInt8(ascii: " ") else {
                return false
            }
        case UInt8(ascii: "?"), UInt8(ascii: ":"), UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "]"),
            UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "#"), UInt8(ascii: "&"), UInt8(ascii: "*"),
            UInt8(ascii: "!"), UInt8(ascii: "|"), UInt8(ascii: ">"), UInt8(ascii: "'"), UInt8(ascii: "\""),
            UInt8(ascii: "%"), UInt8(ascii: "@"), UInt8(ascii: "`"), UInt8(ascii: " "):
            return false
        default:
            break
        }
        guard last != UInt8(ascii: " "), last != UInt8(ascii: ":"), !string.hasPrefix("...") else { return false }
        var previous: UInt8 = 0
        for byte in bytes {
            // `: ` starts a value and ` #` a comment; control characters and tabs need escapes.
            if byte == UInt8(ascii: " ") && previous == UInt8(ascii: ":") { return false }
            if byte == UInt8(ascii: "#") && previous == UInt8(ascii: " ") { return false }
            if byte < 0x20 || byte == 0x7F { return false }
            previous = byte
        }
        if !string.unicodeScalars.allSatisfy(isPrintable) { return false }
        guard case .string = YAML.resolvePlain(string), !isYAML11Special(string) else { return false }
        return true
    }

    /// Strings that YAML 1.1 readers (kubectl's, PyYAML) would type or treat specially: `yes`, `off`, `<<`,
    /// `1_000`, `12:30`, `2024-01-01`, `0b101`.
    private static func isYAML11Special(_ string: String) -> Bool {
        switch string {
        case "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
            "on", "On", "ON", "off", "Off", "OFF", "<<", "=":
            return true
        default:
            break
        }
        var bytes = string.utf8[...]
        if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") || sign == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
        }
        guard let first = bytes.first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else { return false }
        // A number-like string stays plain only when it is digits, letters and dots (`1Gi`, `10.0.0.1`, `500m`).
        if bytes.starts(with: "0b".utf8) { return true }
        return !bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "."):
                true
            default:
                false
            }
        }
    }

    /// Whether libyaml reads the scalar as printable text (not a line break, byte-order mark or control character).
    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20...0x7E: true
        case 0xA0...0xD7FF: scalar.value != 0x2028 && scalar.value != 0x2029
        case 0xE000...0xFFFD: scalar.value != 0xFEFF
        case 0x10000...: true
        default: false
        }
    }

    /// A double-quoted scalar with YAML escapes for quotes, backslashes, line breaks and non-printable characters.
    private static func doubleQuoted(_ string: String) -> String {
        var quoted = "\""
        let needsEscape = string.unicodeScalars.contains { $0 == "\"" || $0 == "\\" || !isPrintable($0) }
        if !needsEscape {
            quoted += string
            quoted += "\""
            return quoted
        }
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\0": quoted += "\\0"
            case "\u{07}": quoted += "\\a"
            case "\u{08}": quoted += "\\b"
            case "\t": quoted += "\\t"
            case "\n": quoted += "\\n"
            case "\u{0B}": quoted += "\\v"
            case "\u{0C}": quoted += "\\f"
            case "\r": quoted += "\\r"
            case "\u{1B}": quoted += "\\e"
            case "\u{85}": quoted += "\\N"
            case "\u{2028}": quoted += "\\L"
            case "\u{2029}": quoted += "\\P"
            default:
                if isPrintable(scalar) {
                    quoted.unicodeScalars.append(scalar)
                } else if scalar.value <= 0xFF {
                    quoted += "\\x" + hex(scalar.value, digits: 2)
                } else {
                    quoted += "\\u" + hex(scalar.value, digits: 4)
                }
            }
        }
        quoted += "\""
        return quoted
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    // MARK: Literal blocks

    /// Whether a multi-line string reads back exactly from a literal block (`|`, `|-`, `|+`).
    ///
    /// Its characters must be printable or tabs, and its first non-empty line must not start with a space or tab,
    /// which would change the block's detected indentation.
    private static func canWriteLiteralBlock(_ string: String) -> Bool {
        guard string.utf8.contains(UInt8(ascii: "\n")) else { return false }
        var firstContent: UInt8?
        var atLineStart = true
        for byte in string.utf8 {
            if byte == UInt8(ascii: "\n") {
                atLineStart = true
                continue
            }
            if atLineStart, firstContent == nil { firstContent = byte }
            atLineStart = false
        }
        guard let firstContent, firstContent != UInt8(ascii: " "), firstContent != UInt8(ascii: "\t") else {
            return false
        }
        return string.unicodeScalars.allSatisfy { $0 == "\n" || $0 == "\t" || isPrintable($0) }
    }

    /// Writes `|` with its chomping indicator, ends the line, then the string's lines at `indent`.
    private mutating func writeLiteralBlock(_ string: String, indent: Int) {
        var body = string.utf8[...]
        var trailingBreaks = 0
        while body.last == UInt8(ascii: "\n") {
            body = body.dropLast()
            trailingBreaks += 1
        }
        switch trailingBreaks {
        case 0: output += "|-\n"
        case 1: output += "|\n"
        default: output += "|+\n"
        }
        for line in body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            if !line.isEmpty {
                writeIndent(indent)
                output += Substring(line)
            }
            output += "\n"
        }
        for _ in 1..<max(trailingBreaks, 1) { output += "\n" }
    }
}
