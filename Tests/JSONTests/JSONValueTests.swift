import JSON
import Testing

@Suite("JSONValue")
struct JSONValueTests {
    @Test("parses and writes back objects in key order with typed numbers")
    func roundTrip() throws {
        let text = #"{"b":1,"a":[true,false,null,1.5,-2,"x\"y\n\u00e9"],"c":{"z":{},"y":[]}}"#
        let value = try JSONValue(parsing: text)
        #expect(value["b"] == .int(1))
        #expect(value["a"]?.arrayValue?[3] == .double(1.5))
        #expect(value["a"]?.arrayValue?[5] == .string("x\"y\né"))
        #expect(value.jsonString == #"{"b":1,"a":[true,false,null,1.5,-2,"x\"y\né"],"c":{"z":{},"y":[]}}"#)
        #expect(try JSONValue(parsing: value.prettyJSONString) == value)
    }

    @Test("surrogate pairs and escapes decode")
    func escapes() throws {
        #expect(try JSONValue(parsing: #""\ud83d\ude00\t\/""#) == .string("😀\t/"))
    }

    @Test("large integers become doubles, integers stay integers")
    func numbers() throws {
        #expect(try JSONValue(parsing: "9223372036854775807") == .int(Int64.max))
        #expect(try JSONValue(parsing: "1e3") == .double(1000))
        #expect(try JSONValue(parsing: "99999999999999999999").doubleValue == 1e20)
    }

    @Test("malformed documents name the byte offset", arguments: [
        ("{\"a\":}", 5), ("[1,2", 4), ("{\"a\" 1}", 5), ("tru", 0), ("\"abc", 4), ("1 2", 2), ("01", 1),
    ])
    func malformed(text: String, offset: Int) {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
        do {
            _ = try JSONValue(parsing: text)
        } catch let error as JSONParseError {
            #expect(error.offset == offset, "\(text): \(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("path subscripts read and create nested objects")
    func paths() {
        var pod: JSONValue = ["metadata": ["name": "a"]]
        pod[path: "metadata", "labels", "x"] = "y"
        #expect(pod[path: "metadata", "labels", "x"] == "y")
        #expect(pod[path: "metadata", "name"] == "a")
        pod[path: "metadata", "name"] = nil
        #expect(pod[path: "metadata", "name"] == nil)
        #expect(pod["metadata"]?.objectValue?.keys == ["labels"])
    }
}
