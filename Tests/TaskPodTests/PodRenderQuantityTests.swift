import Foundation
import JSON
import PodSchema
import Testing

/// taskpod's quantity grammar against the official Python client's `kubernetes.utils.parse_quantity`.
@Suite("Pods: quantities agree with the Python client's parse_quantity")
struct PodRenderQuantityTests {
    /// Accepted by both, with the same value.
    static let valid = [
        "0", "1", "2", "500m", "50m", "100m", "1.5Gi", "2e3", "1E3", "1e-3", "1E+3", "+1k", ".5", "5.", "1.", "0.1", "100Mi", "128Mi",
        "256Mi", "64Mi", "1Ki", "1Mi", "1Gi", "2Gi", "2Ti", "3Pi", "1Ei", "1n", "1u", "10M", "1G", "1T", "1P", "1E", "1.5E", "1e0",
        "123456789", "-1", "-500m", "-0", "0.000000001", "1.23456789", "007", "1e9", "1.5e3", "1.G", "5.e3", "0.5Gi", "12k",
    ]

    /// Refused by both.
    static let invalid = [
        "", "Gi", "m", ".", "+", "-", "1.5Gb", "1mi", "1ki", "1ni", "1ui", "1e", "1.2.3", "--1", "1Gi ", "abc", "1Mb", "0x10", "1e3.5",
        "1ee3", "1EE", "1Gii", "1,5", "1/2", "1%", "1iB", "GiB", "1KiB", "e3", "1e+", "1e-", "+-1", "1 e3",
    ]

    /// Accepted by the Python client only: it reads the number with Python's `Decimal`, which allows what Kubernetes'
    /// parser (`resource.ParseQuantity`) refuses. taskpod follows Kubernetes.
    static let pythonOnly: [(String, String)] = [
        (" 1", "surrounding whitespace"), ("1 Gi", "a space before the suffix"), ("1K", "upper-case K is not a suffix"),
        ("1e3k", "an exponent and a suffix together"), ("1E3Gi", "an exponent and a suffix together"),
        ("1_000", "digit separators"), ("NaN", "not a number"), ("Infinity", "not a number"), ("inf", "not a number"),
        ("\u{0661}", "non-ASCII digits"), ("1e99999999999", "an exponent beyond 32 bits"),
    ]

    @Test("the corpus: taskpod accepts what parse_quantity accepts, with the same value, and refuses what it refuses")
    func againstPython() async throws {
        let corpus = Self.valid + Self.invalid + Self.pythonOnly.map(\.0)
        let script = """
            import json, sys
            from kubernetes.utils import parse_quantity
            out = []
            for text in json.load(sys.stdin):
                try:
                    value = parse_quantity(text)
                except Exception:
                    out.append(None)
                    continue
                small = value.is_finite() and abs(value.adjusted()) < 40
                out.append(format(value, "f") if small else str(value))
            print(json.dumps(out))
            """
        let results = try #require(try await PodRenderTools.python(script, input: .array(corpus.map { .string($0) })).arrayValue)
        #expect(results.count == corpus.count)
        var python: [String: String?] = [:]
        for (text, result) in zip(corpus, results) { python[text] = result.stringValue }

        for text in Self.valid {
            let quantity = Quantity(text)
            #expect(quantity != nil, "taskpod refuses \(text.debugDescription)")
            let theirs = try #require(python[text] ?? nil, "parse_quantity refuses \(text.debugDescription)")
            if let quantity {
                #expect(quantity.value == Decimal(string: theirs), "\(text): taskpod \(quantity.value), Python \(theirs)")
            }
        }
        for text in Self.invalid {
            #expect(Quantity(text) == nil, "taskpod accepts \(text.debugDescription)")
            #expect(python[text] == .some(nil), "parse_quantity accepts \(text.debugDescription)")
        }
        for (text, why) in Self.pythonOnly {
            #expect(Quantity(text) == nil, "taskpod accepts \(text.debugDescription) (\(why))")
            #expect(python[text] != .some(nil), "parse_quantity now refuses \(text.debugDescription); move it to invalid")
        }
    }

    @Test("every quantity in the Pods the differential test renders is accepted by parse_quantity")
    func renderedQuantities() async throws {
        var texts: Set<String> = []
        func collect(_ value: JSONValue) {
            switch value {
            case .object(let object):
                for (key, child) in object {
                    if ["requests", "limits", "overhead"].contains(key), let amounts = child.objectValue {
                        for (_, amount) in amounts { texts.insert(amount.stringValue ?? amount.jsonString) }
                    }
                    collect(child)
                }
            case .array(let items): items.forEach(collect)
            default: break
            }
        }
        for testCase in PodRenderDifferentialTests.cases {
            collect(try PodRenderDifferentialTests.render(testCase, withOverride: true))
        }
        #expect(texts.count > 5)
        let script = """
            import json, sys
            from kubernetes.utils import parse_quantity
            bad = []
            for text in json.load(sys.stdin):
                try:
                    parse_quantity(text)
                except Exception:
                    bad.append(text)
            print(json.dumps(bad))
            """
        let refused = try await PodRenderTools.python(script, input: .array(texts.sorted().map { .string($0) }))
        #expect(refused == [], "parse_quantity refuses quantities taskpod rendered: \(refused)")
        for text in texts { #expect(Quantity(text) != nil) }
    }
}
