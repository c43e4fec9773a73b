import JSON
import Testing
import YAML

@Suite("Serialization")
struct SerializationTests {
    /// Strings that read as something else, or as nothing, unless written with care.
    static let trickyStrings: [String] = [
        "true", "True", "TRUE", "false", "FALSE", "yes", "no", "on", "off", "y", "n", "Y", "N",
        "null", "Null", "NULL", "~", "", " ", "  ",
        "1", "-1", "+1", "0", "007", "0755", "1.5", "1.", ".5", "1e3", "1E+3", "-.5", "0o7", "0x1F", "0b101",
        "1_000", "12:30", "2024-01-01", "2001-12-14t21:59:43.10-05:00",
        ".inf", "-.inf", "+.inf", ".Inf", ".nan", ".NaN", "NaN", "inf",
        "a: b", "a:", ":a", "a:b", "key: value", "http://example.com:8080/path", "a #b", "a#b", "#comment", "# x",
        "- ", "-", "--", "---", "--- x", "...", "... x", "-x", "--flag=1", "- item", "? x", "?", ":", ": x",
        " leading", "trailing ", " both ", "\ttab", "tab\t", "a\tb",
        "line\nbreak", "two\nlines\n", "ends with two\n\n", "\n", "\n\n", "\nleading newline", "a\n b", "a\n\n\nb",
        " indented first\nline", "\tx\ny", "x\n  indented\nback", "trailing spaces  \nline", "spaces only\n   \nline",
        "x\n\ty", "x\n  ", "x\n \n", "#!/bin/sh\n# comment\n---\n...\n- item\nkey: value\n",
        "crlf\r\nline", "cr\rline", "nel\u{85}x", "ls\u{2028}ps\u{2029}", "bom\u{FEFF}", "\u{FEFF}", "del\u{7F}",
        "nul\0byte", "bell\u{07}", "esc\u{1B}", "c1\u{9B}",
        "'single'", "\"double\"", "back\\slash", "\\", "'", "\"", "it's", "say \"hi\"",
        "[a, b]", "{a: 1}", "[", "]", "{", "}", ",", "a, b", "a,b", "&anchor", "*alias", "!tag", "!!str",
        "|", "|-", ">", ">-", "%YAML", "@at", "`tick`", "<<", "=", "a=b",
        "日本語", "ключ: значение", "emoji 🎉", "🎉", "é", "\u{A0}nbsp", "combining e\u{301}",
        "500m", "1Gi", "2.5Gi", "10.0.0.1", "v1.2.3", "sha256:abc", "app.kubernetes.io/name",
        String(repeating: "long ", count: 300),
    ]

    @Test("strings read back as themselves", arguments: trickyStrings)
    func stringRoundTrip(_ string: String) throws {
        for value: JSONValue in [.string(string), [.string(string)], ["key": .string(string)],
                                 [string: "value"], [["nested": [string: .string(string)]]]] {
            let text = YAML.serialize(value)
            #expect(try YAML.parse(text) == value, "\(text)")
        }
    }

    @Test("all tricky strings together, as keys and values")
    func allStrings() throws {
        var object = JSONObject()
        for string in Self.trickyStrings { object[string] = .string(string) }
        let value = JSONValue.object(object)
        let text = YAML.serialize(value)
        let parsed = try YAML.parse(text)
        #expect(parsed == value)
        #expect(parsed.objectValue?.keys == object.keys)
    }

    static let values: [JSONValue] = [
        .null, true, false, 0, 1, -1, .int(.max), .int(.min), 1.5, -0.25, 1.0, 0.0, -0.0, 1e20, 1e-7,
        .double(.leastNonzeroMagnitude), .double(.greatestFiniteMagnitude), .double(.infinity), .double(-.infinity), 123456789.123,
        [], [:], [[]], [[:]], [[[]]], ["a": []], ["a": [:]], ["a": ["b": [:]]], [[], [:], [[]], [[:]]],
        ["": ""], ["": [:]], [nil, nil], ["k": nil],
        [1, "1", 1.0, true, "true", nil, "null"],
        ["outer": ["inner": ["deep": [1, [2, [3, ["x": "y"]]]]]]],
        [["a": 1, "b": 2], ["c": [["d": [1, 2]]]]],
        ["script": "#!/bin/sh\nset -eu\n\necho \"hi\" # comment\n  indented: yes\n", "after": 1],
        ["keep": "a\n\n\n", "strip": "a\nb", "clip": "a\nb\n"],
        ["list": ["x\ny\n", "z\n\n", ["w\nv"]], "map": ["k": "multi\nline"]],
        ["unicode": "日本語", "ключ": ["значение"], "🎉": "🎉"],
        [String(repeating: "k", count: 1500): "long key", String(repeating: "é", count: 600): ["nested": 1]],
        [String(repeating: "q", count: 1100) + "\n": [1, 2]],
    ]

    @Test("values read back as themselves", arguments: values)
    func valueRoundTrip(_ value: JSONValue) throws {
        let text = YAML.serialize(value)
        #expect(try YAML.parse(text) == value, "\(text)")
    }

    @Test("NaN reads back as NaN")
    func nan() throws {
        #expect(YAML.serialize(.double(.nan)) == ".nan\n")
        #expect(try YAML.parse(YAML.serialize(["x": .double(.nan)]))["x"]?.doubleValue?.isNaN == true)
    }

    @Test("a generated mix of awkward characters reads back", arguments: 0..<8)
    func generated(seed: Int) throws {
        let alphabet: [String] = ["a", "Z", "0", "1", ".", "-", ":", " ", "#", "\n", "\t", "'", "\"", "\\", "[",
                                  "{", ",", "&", "*", "!", "|", ">", "?", "~", "é", "🎉", "\r", "\u{85}", "%", "@"]
        var generator = SplitMix64(seed: UInt64(seed))
        var object = JSONObject()
        var list: [JSONValue] = []
        for _ in 0..<300 {
            var string = ""
            for _ in 0..<Int.random(in: 0...8, using: &generator) {
                string += alphabet.randomElement(using: &generator)!
            }
            object[string] = .string(string)
            list.append(.string(string))
        }
        let value: JSONValue = ["object": .object(object), "list": .array(list)]
        let text = YAML.serialize(value)
        #expect(try YAML.parse(text) == value)
    }

    @Test("output shape: block style, 2-space indent, keys in order")
    func shape() {
        let value: JSONValue = .object(JSONObject([
            ("apiVersion", "v1"),
            ("kind", "Pod"),
            ("metadata", ["name": "web", "labels": [:]]),
            ("spec", .object(JSONObject([
                ("containers", [.object(JSONObject([
                    ("name", "web"),
                    ("args", ["--port", "8080"]),
                    ("env", [["name": "DEBUG", "value": "true"]]),
                ]))]),
                ("restartPolicy", "Never"),
                ("script", "echo hi\nexit 0\n"),
                ("matrix", [[1, 2], []]),
                ("ratio", 0.5),
                ("none", nil),
            ]))),
        ]))
        #expect(YAML.serialize(value) == """
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
              labels: {}
            spec:
              containers:
                - name: web
                  args:
                    - --port
                    - "8080"
                  env:
                    - name: DEBUG
                      value: "true"
              restartPolicy: Never
              script: |
                echo hi
                exit 0
              matrix:
                - - 1
                  - 2
                - []
              ratio: 0.5
              none: null

            """)
    }

    @Test("scalars at the top level")
    func topLevel() {
        #expect(YAML.serialize(nil) == "null\n")
        #expect(YAML.serialize(true) == "true\n")
        #expect(YAML.serialize(42) == "42\n")
        #expect(YAML.serialize(1.0) == "1.0\n")
        #expect(YAML.serialize(.double(-.infinity)) == "-.inf\n")
        #expect(YAML.serialize("plain") == "plain\n")
        #expect(YAML.serialize("1") == "\"1\"\n")
        #expect(YAML.serialize("") == "\"\"\n")
        #expect(YAML.serialize("tab\there\u{07}") == "\"tab\\there\\a\"\n")
        #expect(YAML.serialize("a\nb") == "|-\n  a\n  b\n")
        #expect(YAML.serialize([]) == "[]\n")
        #expect(YAML.serialize([:]) == "{}\n")
    }
}

/// A small seeded generator, so generated cases are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
