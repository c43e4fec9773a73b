import JSON

/// The YAML 1.2 core schema: how a plain (unquoted, untagged) scalar is typed.
extension YAML {
    /// The value of a plain scalar under the core schema: null, bool, int, float, or else the string itself.
    ///
    /// Integers too large for `Int64` become doubles.
    static func resolvePlain(_ text: String) -> JSONValue {
        guard let first = text.utf8.first else { return .null }
        switch first {
        case UInt8(ascii: "~"), UInt8(ascii: "n"), UInt8(ascii: "N"):
            if isNull(text) { return .null }
        case UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"):
            if let value = bool(text) { return .bool(value) }
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."):
            if let value = int(text) ?? float(text) { return value }
        default:
            break
        }
        return .string(text)
    }

    /// Whether `text` is a core-schema null: `~`, `null`, `Null`, `NULL` or empty.
    static func isNull(_ text: String) -> Bool {
        switch text {
        case "", "~", "null", "Null", "NULL": true
        default: false
        }
    }

    /// The core-schema boolean spelled by `text` (`true|True|TRUE|false|False|FALSE`; not yes/no/on/off).
    static func bool(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE": true
        case "false", "False", "FALSE": false
        default: nil
        }
    }

    /// The core-schema integer spelled by `text`: `[-+]?[0-9]+`, `0o[0-7]+` or `0x[0-9a-fA-F]+`.
    ///
    /// Returns ``JSONValue/int(_:)``, or ``JSONValue/double(_:)`` when the integer does not fit `Int64`.
    static func int(_ text: String) -> JSONValue? {
        let bytes = text.utf8
        guard let first = bytes.first else { return nil }
        if bytes.count > 2, first == UInt8(ascii: "0") {
            let marker = bytes[bytes.index(after: bytes.startIndex)]
            let digits = text.utf8.dropFirst(2)
            if marker == UInt8(ascii: "o") { return radixInt(digits, radix: 8) }
            if marker == UInt8(ascii: "x") { return radixInt(digits, radix: 16) }
        }
        let digits = first == UInt8(ascii: "-") || first == UInt8(ascii: "+") ? bytes.dropFirst() : bytes[...]
        guard !digits.isEmpty, digits.allSatisfy(isDecimalDigit) else { return nil }
        if let value = Int64(text) { return .int(value) }
        return Double(text).map(JSONValue.double)
    }

    /// The core-schema float spelled by `text`:
    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, `[-+]?.inf` (3 spellings) or `.nan` (3 spellings).
    static func float(_ text: String) -> JSONValue? {
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
        case ".nan", ".NaN", ".NAN": return .double(.nan)
        default: break
        }
        guard isFloatSyntax(text.utf8) else { return nil }
        return Double(text).map(JSONValue.double)
    }

    private static func isFloatSyntax(_ bytes: String.UTF8View) -> Bool {
        var index = bytes.startIndex
        let end = bytes.endIndex
        func digits() -> Int {
            var count = 0
            while index < end, isDecimalDigit(bytes[index]) {
                bytes.formIndex(after: &index)
                count += 1
            }
            return count
        }
        if index < end, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            bytes.formIndex(after: &index)
        }
        let integerDigits = digits()
        if index < end, bytes[index] == UInt8(ascii: ".") {
            bytes.formIndex(after: &index)
            let fractionDigits = digits()
            // `.` needs digits on one side at least: `1.` and `.5` are floats, `.` is not.
            guard integerDigits > 0 || fractionDigits > 0 else { return false }
        } else if integerDigits == 0 {
            return false
        }
        if index < end, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            bytes.formIndex(after: &index)
            if index < end, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                bytes.formIndex(after: &index)
            }
            guard digits() > 0 else { return false }
        }
        return index == end
    }

    private static func radixInt(_ digits: Substring.UTF8View, radix: Int) -> JSONValue? {
        var exact: Int64? = 0
        var approximate = 0.0
        for byte in digits {
            guard let digit = digitValue(byte), digit < radix else { return nil }
            approximate = approximate * Double(radix) + Double(digit)
            if let current = exact {
                let (shifted, overflowShift) = current.multipliedReportingOverflow(by: Int64(radix))
                let (sum, overflowAdd) = shifted.addingReportingOverflow(Int64(digit))
                exact = overflowShift || overflowAdd ? nil : sum
            }
        }
        guard !digits.isEmpty else { return nil }
        if let exact { return .int(exact) }
        return .double(approximate)
    }

    private static func digitValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A")) + 10
        default: nil
        }
    }

    private static func isDecimalDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
