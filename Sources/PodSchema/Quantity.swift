import Foundation
import JSON

/// A Kubernetes resource quantity (`500m`, `1.5Gi`, `2e3`), parsed by the API's grammar:
/// `<sign><number><suffix>` where the number has at least one digit (`1`, `1.5`, `.5`, `5.`) and the suffix is a
/// binary SI one (`Ki`, `Mi`, `Gi`, `Ti`, `Pi`, `Ei`), a decimal SI one (`n`, `u`, `m`, none, `k`, `M`, `G`, `T`, `P`,
/// `E`) or an exponent (`e3`, `E-2`, fitting 32 bits).
///
/// The value is what the API server makes of it: rounded up to the nearest `1n` and capped at 2⁶³−1.
/// `1.5Gb`, `1 Gi`, `1K` and `1e3k` are not quantities.
///
/// ```swift
/// Quantity("1.5Gi")?.value   // 1610612736
/// Quantity("1.5Gb")          // nil; Quantity.problem(with: "1.5Gb") explains why
/// ```
public struct Quantity: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The value, in the resource's base unit (cores, bytes…).
    public var value: Decimal
    /// The text it was parsed from.
    public var text: String

    public var description: String { text }

    public static func < (lhs: Quantity, rhs: Quantity) -> Bool { lhs.value < rhs.value }

    /// The largest value the API server keeps (larger ones are capped to it).
    public static let maximum = Decimal(string: "9223372036854775807")!

    static let binarySuffixes: [String: Int] = ["Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6]
    static let decimalSuffixes: [String: Int] = [
        "n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18,
    ]

    init(value: Decimal, text: String) {
        self.value = value
        self.text = text
    }

    /// Parses `text`; nil when it is not a quantity.
    public init?(_ text: String) {
        guard case .success(let quantity) = Quantity.parse(text) else { return nil }
        self = quantity
    }

    /// A quantity from a JSON value: a string, or a number as Kubernetes reads one (`cpu: 2`, `cpu: 0.5`).
    public init?(_ value: JSONValue) {
        switch value {
        case .string(let text): self.init(text)
        case .int, .double: self.init(value.jsonString)
        default: return nil
        }
    }

    /// Why `text` is not a quantity, with what would be valid; nil when it is one.
    public static func problem(with text: String) -> String? {
        if case .failure(let problem) = parse(text) { return problem.message }
        return nil
    }

    struct Problem: Error {
        var message: String
    }

    static let validForms = "write a number with an optional suffix: m, k, M, G, T, P, E (powers of 1000), "
        + "Ki, Mi, Gi, Ti, Pi, Ei (powers of 1024) or an exponent, e.g. 500m, 1.5Gi, 2e3"

    static func parse(_ text: String) -> Result<Quantity, Problem> {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return .failure(Problem(message: "is empty; \(validForms)")) }
        if bytes.contains(where: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) {
            return .failure(Problem(message: "\"\(text)\" contains a space; \(validForms)"))
        }
        var index = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "+") || bytes[0] == UInt8(ascii: "-") {
            negative = bytes[0] == UInt8(ascii: "-")
            index = 1
        }
        func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        let integerStart = index
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        let integerDigits = bytes[integerStart..<index]
        var fractionDigits = bytes[index..<index]
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let fractionStart = index
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            fractionDigits = bytes[fractionStart..<index]
        }
        guard !integerDigits.isEmpty || !fractionDigits.isEmpty else {
            return .failure(Problem(message: "\"\(text)\" has no number; \(validForms)"))
        }
        let suffix = String(decoding: bytes[index...], as: UTF8.self)

        var decimalExponent = 0
        var binaryPower = 0
        if let power = binarySuffixes[suffix] {
            binaryPower = power
        } else if let exponent = decimalSuffixes[suffix] {
            decimalExponent = exponent
        } else if let first = suffix.utf8.first, first == UInt8(ascii: "e") || first == UInt8(ascii: "E"),
            suffix.utf8.count > 1
        {
            let exponentText = suffix.dropFirst()
            let digits = exponentText.first == "+" || exponentText.first == "-" ? exponentText.dropFirst() : exponentText
            guard !digits.isEmpty, digits.utf8.allSatisfy(isDigit) else {
                return .failure(Problem(message: "\"\(text)\" has an invalid exponent \"\(suffix)\"; \(validForms)"))
            }
            guard let exponent = Int32(exponentText) else {
                return .failure(Problem(message: "\"\(text)\": the exponent \(exponentText) is too large"))
            }
            decimalExponent = Int(exponent)
        } else {
            return .failure(Problem(message: "\"\(text)\" has an unknown suffix \"\(suffix)\"\(hint(for: suffix)); \(validForms)"))
        }

        let value = magnitude(
            integer: String(decoding: integerDigits, as: UTF8.self), fraction: String(decoding: fractionDigits, as: UTF8.self),
            decimalExponent: decimalExponent, binaryPower: binaryPower
        )
        var quantity = Quantity(value: negative ? -value : value, text: text)
        if quantity.value.isZero { quantity.value = 0 }
        return .success(quantity)
    }

    /// `integer.fraction × 10^decimalExponent × 1024^binaryPower`, rounded up to 1n and capped at 2⁶³−1.
    static func magnitude(integer: String, fraction: String, decimalExponent: Int, binaryPower: Int) -> Decimal {
        let significant = (integer + fraction).drop { $0 == "0" }
        guard !significant.isEmpty else { return 0 }
        // The position of the leading digit, as a power of ten, decides capping before Decimal could overflow.
        let leadingZerosInFraction = integer.allSatisfy { $0 == "0" } ? fraction.prefix { $0 == "0" }.count : 0
        let order = integer.drop { $0 == "0" }.isEmpty ? -(leadingZerosInFraction + 1) : integer.drop { $0 == "0" }.count - 1
        let totalOrder = order + decimalExponent + binaryPower * 3
        if totalOrder > 19 { return maximum }
        if totalOrder < -10 { return Decimal(sign: .plus, exponent: -9, significand: Decimal(1)) }
        var digits = String(significant.prefix(38))
        let dropped = significant.count - digits.count
        if digits.isEmpty { digits = "0" }
        // significant digits × 10^(exponent of its last digit)
        let exponent = -fraction.count + dropped + decimalExponent
        var value = Decimal(sign: .plus, exponent: exponent, significand: Decimal(string: digits)!)
        for _ in 0..<binaryPower { value *= 1024 }
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 9, .up)
        return rounded > maximum ? maximum : rounded
    }

    static func hint(for suffix: String) -> String {
        let known = ["K": "k or Ki", "Kb": "k or Ki", "KB": "k or Ki", "kb": "k or Ki", "kB": "k or Ki", "ki": "Ki", "mi": "Mi",
                     "gi": "Gi", "g": "G or Gi", "Mb": "M or Mi", "MB": "M or Mi", "Gb": "G or Gi", "GB": "G or Gi",
                     "Tb": "T or Ti", "TB": "T or Ti", "Pb": "P or Pi", "Eb": "E or Ei", "GiB": "Gi", "MiB": "Mi", "KiB": "Ki",
                     "Gib": "Gi", "Mib": "Mi", "t": "T or Ti", "p": "P or Pi"]
        return known[suffix].map { " (did you mean \($0)?)" } ?? ""
    }
}
