import Foundation
import JSON
import PodSchema
import Testing

@Suite("Quantities: the Kubernetes grammar")
struct QuantityTests {
    @Test("accepted and refused forms", arguments: [
        ("500m", true), ("1.5Gi", true), ("2e3", true), ("1", true), ("0.1", true), (".5", true), ("5.", true), ("1E", true),
        ("+1k", true), ("-1", true), ("1Ki", true), ("1n", true), ("1u", true), ("1e-3", true), ("1E+3", true), ("007", true),
        ("1.5Gb", false), ("", false), ("Gi", false), (".", false), ("+", false), ("1 Gi", false), (" 1", false), ("1e", false),
        ("1.2.3", false), ("1mi", false), ("--1", false), ("1K", false), ("1e3k", false), ("1_000", false), ("NaN", false),
        ("1e99999999999", false), ("１", false),
    ])
    func grammar(text: String, valid: Bool) {
        #expect((Quantity(text) != nil) == valid, "\(text)")
        #expect((Quantity.problem(with: text) == nil) == valid, "\(text)")
    }

    @Test("values are exact, rounded up to 1n, capped at 2^63-1")
    func values() throws {
        #expect(try #require(Quantity("1.5Gi")).value == 1_610_612_736)
        #expect(try #require(Quantity("500m")) < #require(Quantity("1")))
        #expect(try #require(Quantity("2e3")).value == 2000)
        #expect(try #require(Quantity("1Mi")) > #require(Quantity("1M")))
        #expect(try #require(Quantity("1E")).value == Decimal(string: "1000000000000000000"))
        #expect(try #require(Quantity("1e-12")).value == Decimal(string: "0.000000001"))
        #expect(try #require(Quantity("-1e-12")).value == Decimal(string: "-0.000000001"))
        #expect(try #require(Quantity("1.0000000001")).value == Decimal(string: "1.000000001"))
        #expect(try #require(Quantity("100Ei")).value == Quantity.maximum)
        #expect(try #require(Quantity("1e400")).value == Quantity.maximum)
        #expect(try #require(Quantity("-0")).value == 0)
        #expect(try #require(Quantity(JSONValue.double(0.5))).value == Decimal(string: "0.5"))
        #expect(try #require(Quantity(JSONValue.int(2))).value == 2)
        #expect(Quantity(JSONValue.bool(true)) == nil)
    }

    @Test("problems say what would be valid")
    func problems() {
        #expect(Quantity.problem(with: "1.5Gb")?.contains("did you mean G or Gi?") == true)
        #expect(Quantity.problem(with: "1 Gi")?.contains("contains a space") == true)
        #expect(Quantity.problem(with: "Gi")?.contains("has no number") == true)
        #expect(Quantity.problem(with: "1e99999999999")?.contains("too large") == true)
        #expect(Quantity.problem(with: "1mi")?.contains("did you mean Mi?") == true)
    }
}
