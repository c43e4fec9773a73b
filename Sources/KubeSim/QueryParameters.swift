import Foundation
import JSON

/// A request's query parameters, decoded as Go's `url.ParseQuery` does (`+` is a space, `%XX` escapes).
struct QueryParameters: Sendable {
    private var values: [String: [String]] = [:]

    init(_ query: String?) {
        guard let query, !query.isEmpty else { return }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            values[name, default: []].append(value)
        }
    }

    private static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// The first value of `name`.
    subscript(name: String) -> String? { values[name]?.first }

    /// A boolean parameter, parsed as Go's `strconv.ParseBool`; `nil` when absent.
    func bool(_ name: String) throws(APIError) -> Bool? {
        guard let text = self[name] else { return nil }
        switch text {
        case "1", "t", "T", "true", "TRUE", "True": return true
        case "0", "f", "F", "false", "FALSE", "False", "": return false
        default: throw APIError.badRequest("strconv.ParseBool: parsing \(text.quoted): invalid syntax")
        }
    }

    /// An integer parameter; `nil` when absent or empty.
    func int(_ name: String) throws(APIError) -> Int64? {
        guard let text = self[name], !text.isEmpty else { return nil }
        guard let value = Int64(text) else {
            throw APIError.badRequest("strconv.ParseInt: parsing \(text.quoted): invalid syntax")
        }
        return value
    }
}

extension String {
    /// `"text"` with JSON escapes, close to Go's `%q`.
    var quoted: String { JSONValue.string(self).jsonString }
}
