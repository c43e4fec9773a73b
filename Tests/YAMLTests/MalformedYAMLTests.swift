import JSON
import Testing
import YAML

@Suite("Malformed YAML")
struct MalformedYAMLTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var line: Int
        var column: Int
        /// A part of the message that must be there.
        var message: String

        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "bad indentation", text: "metadata:\n  name: a\n    labels: b\n", line: 3, column: 11,
             message: "mapping values are not allowed in this context"),
        Case(name: "dedented sibling", text: "spec:\n    a: 1\n  b: 2\n", line: 3, column: 3,
             message: "did not find expected key"),
        Case(name: "unclosed double quote", text: "a: 1\nb: \"open\nc: 3\n", line: 4, column: 1,
             message: "found unexpected end of stream (while scanning a quoted scalar at line 2, column 4)"),
        Case(name: "unclosed single quote", text: "a: 'open\n", line: 2, column: 1,
             message: "while scanning a quoted scalar"),
        Case(name: "tab indentation", text: "spec:\n\tname: a\n", line: 2, column: 1,
             message: "found character that cannot start any token"),
        Case(name: "unknown alias", text: "a: &x 1\nb:\n  - *y\n", line: 3, column: 5,
             message: "unknown alias \"y\""),
        Case(name: "duplicate key", text: "metadata:\n  name: a\n  labels: {}\n  name: b\n", line: 4, column: 3,
             message: "duplicate key \"name\""),
        Case(name: "duplicate key in flow mapping", text: "x: {a: 1, b: 2, a: 3}\n", line: 1, column: 17,
             message: "duplicate key \"a\""),
        Case(name: "duplicate key, quoted and plain", text: "1: a\n\"1\": b\n", line: 2, column: 1,
             message: "duplicate key \"1\""),
        Case(name: "duplicate merge key", text: "a: &a {x: 1}\nb:\n  <<: *a\n  <<: *a\n", line: 4, column: 3,
             message: "duplicate key \"<<\""),
        Case(name: "mapping as a key", text: "? {a: 1}\n: b\n", line: 1, column: 3,
             message: "a mapping key must be a scalar, found a mapping"),
        Case(name: "sequence as a key", text: "x:\n  [a, b]: c\n", line: 2, column: 3,
             message: "a mapping key must be a scalar, found a sequence"),
        Case(name: "unclosed flow sequence", text: "args: [a, b\nenv: []\n", line: 2, column: 4,
             message: "did not find expected ',' or ']'"),
        Case(name: "unclosed flow mapping", text: "x: {a: 1\n", line: 2, column: 1,
             message: "did not find expected ',' or '}'"),
        Case(name: "sequence item in a mapping", text: "a: 1\n- b\n", line: 2, column: 1,
             message: "did not find expected key"),
        Case(name: "mapping after a sequence", text: "- a\nb: 1\n", line: 2, column: 1,
             message: "did not find expected '-' indicator"),
        Case(name: "two values on one line", text: "a: b: c\n", line: 1, column: 5,
             message: "mapping values are not allowed in this context"),
        Case(name: "control character", text: "a: b\nc: \u{01}\n", line: 2, column: 4,
             message: "control characters are not allowed"),
        Case(name: "undefined tag handle", text: "a: !x!y b\n", line: 1, column: 4,
             message: "found undefined tag handle"),
        Case(name: "second document", text: "a: 1\n---\nb: 2\n", line: 2, column: 1,
             message: "expected a single YAML document"),
        Case(name: "text after an explicit document end", text: "a: 1\n...\nb: 2\n", line: 3, column: 1,
             message: "did not find expected <document start>"),
        Case(name: "deep nesting", text: String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
             line: 1, column: 513, message: "nesting deeper than 512"),
    ]

    @Test("each malformed text gives a YAMLError at the problem", arguments: cases)
    func malformed(_ test: Case) {
        let error = #expect(throws: YAMLError.self) { try YAML.parse(test.text) }
        #expect(error?.line == test.line, "\(error?.description ?? "")")
        #expect(error?.column == test.column, "\(error?.description ?? "")")
        #expect(error?.message.contains(test.message) == true, "\(error?.description ?? "")")
    }

    @Test("the description reads line, column, message")
    func description() {
        let error = YAMLError(message: "duplicate key \"name\"", line: 4, column: 3)
        #expect(error.description == "line 4, column 3: duplicate key \"name\"")
        #expect("\(error)" == "line 4, column 3: duplicate key \"name\"")
    }

    @Test("an error in a later document of a stream")
    func streamError() {
        let error = #expect(throws: YAMLError.self) { try YAML.parseAll("a: 1\n---\nb: [\n") }
        #expect(error?.line == 4)
        #expect(error?.column == 1)
    }
}
