import JSON
import Testing
import YAML

@Suite("Core schema typing")
struct CoreSchemaTests {
    /// Plain scalars and what the YAML 1.2 core schema makes of them.
    static let plain: [(String, JSONValue)] = [
        // null
        ("~", .null), ("null", .null), ("Null", .null), ("NULL", .null), ("", .null),
        ("nULL", "nULL"), ("nil", "nil"), ("none", "none"),
        // bool: only true/false spellings
        ("true", true), ("True", true), ("TRUE", true), ("false", false), ("False", false), ("FALSE", false),
        ("tRUE", "tRUE"), ("yes", "yes"), ("no", "no"), ("on", "on"), ("off", "off"), ("y", "y"), ("n", "n"),
        // int
        ("0", 0), ("1", 1), ("-1", -1), ("+42", 42), ("0755", 755), ("007", 7), ("-0", 0),
        ("0o17", 15), ("0o0", 0), ("0x1F", 31), ("0xff", 255), ("0x0", 0),
        ("9223372036854775807", .int(.max)), ("-9223372036854775808", .int(.min)),
        ("9223372036854775808", .double(9223372036854775808)), ("0x10000000000000000", .double(18446744073709551616)),
        ("0o8", "0o8"), ("0xG", "0xG"), ("0x", "0x"), ("0o", "0o"), ("0b101", "0b101"), ("1_000", "1_000"),
        ("-0x1F", "-0x1F"), ("0X1F", "0X1F"), ("12:30", "12:30"),
        // float
        ("1e3", .double(1000)), ("1.5", 1.5), ("-1.5", -1.5), ("+1.5", 1.5), ("1.", 1.0), (".5", 0.5),
        ("-.5", -0.5), ("1.5e-3", 0.0015), ("1E+3", .double(1000)), ("0.0", 0.0), ("3.14159", 3.14159),
        (".inf", .double(.infinity)), (".Inf", .double(.infinity)), (".INF", .double(.infinity)),
        ("+.inf", .double(.infinity)), ("-.inf", .double(-.infinity)), ("-.INF", .double(-.infinity)),
        (".", "."), ("1e", "1e"), ("e3", "e3"), ("1.2.3", "1.2.3"), (".infinity", ".infinity"), ("inf", "inf"),
        // Kubernetes quantities and versions stay strings
        ("500m", "500m"), ("1Gi", "1Gi"), ("2.5Gi", "2.5Gi"), ("1e3Mi", "1e3Mi"), ("v1", "v1"),
        ("10.0.0.1", "10.0.0.1"), ("2024-01-01", "2024-01-01"),
    ]

    @Test("plain scalars", arguments: plain)
    func plainScalar(text: String, expected: JSONValue) throws {
        let value = try YAML.parse("value: \(text)\n")["value"]
        #expect(value == expected, "\(text)")
    }

    @Test("NaN", arguments: [".nan", ".NaN", ".NAN"])
    func nan(text: String) throws {
        let value = try YAML.parse("value: \(text)\n")["value"]
        #expect(value?.doubleValue?.isNaN == true)
    }

    @Test("quoted and block scalars stay strings", arguments: [
        "\"true\"", "'true'", "\"1\"", "'1'", "\"null\"", "'~'", "\"\"", "''", "\"0x1F\"", "'1.5'", "\".inf\"",
    ])
    func quoted(text: String) throws {
        let value = try YAML.parse("value: \(text)\n")["value"]
        #expect(value == .string(String(text.dropFirst().dropLast())))
    }

    @Test("block scalars stay strings")
    func blocks() throws {
        #expect(try YAML.parse("value: |\n  123\n") == ["value": "123\n"])
        #expect(try YAML.parse("value: |-\n  true\n") == ["value": "true"])
        #expect(try YAML.parse("value: >-\n  null\n") == ["value": "null"])
    }

    @Test("keys are the text of scalars")
    func keys() throws {
        let value = try YAML.parse("1: a\ntrue: b\nnull: c\n~: d\n1.5: e\n\"quoted\": f\n0x1F: g\n")
        #expect(value.objectValue?.keys == ["1", "true", "null", "~", "1.5", "quoted", "0x1F"])
    }

    /// Tagged scalars and collections, and what the tag makes of them.
    static let tagged: [(String, JSONValue)] = [
        ("!!str 123", "123"), ("!!str true", "true"), ("!!str", ""), ("!!str ~", "~"),
        ("!!int 42", 42), ("!!int \"42\"", 42), ("!!int 0x10", 16), ("!!int -7", -7),
        ("!!float 1", 1.0), ("!!float '2.5'", 2.5), ("!!float .inf", .double(.infinity)),
        ("!!bool true", true), ("!!bool 'False'", false),
        ("!!null ~", .null), ("!!null", .null), ("!!null ''", .null),
        ("!!map {a: 1}", ["a": 1]), ("!!seq [1]", [1]),
        ("!<tag:yaml.org,2002:str> 5", "5"),
        ("! 12", "12"),
        ("!custom 12", 12), ("!custom '12'", "12"), ("!!binary aGVsbG8=", "aGVsbG8="),
        ("!!timestamp 2001-12-14", "2001-12-14"), ("!foo {a: true}", ["a": true]), ("!bar [null]", [nil]),
    ]

    @Test("explicit tags", arguments: tagged)
    func tags(text: String, expected: JSONValue) throws {
        let value = try YAML.parse("value: \(text)\n")["value"]
        #expect(value == expected, "\(text)")
    }

    @Test("a tagged scalar that is not of its tag's kind is an error", arguments: [
        ("!!int abc", "a scalar tagged !!int is not an integer"),
        ("!!int 1.5", "a scalar tagged !!int is not an integer"),
        ("!!float abc", "a scalar tagged !!float is not a number"),
        ("!!bool yes", "a scalar tagged !!bool is not a boolean"),
        ("!!null 0", "a scalar tagged !!null is not null"),
        ("!!map abc", "a scalar cannot be tagged !!map"),
        ("!!str [a]", "a sequence cannot be tagged !!str"),
        ("!!seq {a: 1}", "a mapping cannot be tagged !!seq"),
    ])
    func badTags(text: String, message: String) {
        let error = #expect(throws: YAMLError.self) { try YAML.parse("a: 1\nvalue: \(text)\n") }
        #expect(error == YAMLError(message: message, line: 2, column: 8))
    }
}

@Suite("Positions of top-level keys")
struct KeyPositionTests {
    @Test("parseWithPositions gives each top-level key's line and column, not nested ones'")
    func positions() throws {
        let (value, keys) = try YAML.parseWithPositions("# settings\nnamespace: jobs\nnested:\n  inner: 1\n\"quoted\": 2\n")
        #expect(value["namespace"] == "jobs")
        #expect(keys == ["namespace": YAMLMark(line: 2, column: 1), "nested": YAMLMark(line: 3, column: 1),
                         "quoted": YAMLMark(line: 5, column: 1)])
        #expect(try YAML.parseWithPositions("").keys.isEmpty)
    }
}
