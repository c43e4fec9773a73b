import Foundation
import KubeSimTestKit
import TestSupport
import JSON

/// KubeSim's audit log (`--audit-log`): one JSON line per request with `time`, `verb`, `path`, `code`, and
/// `namespace` and `pod` for Pod requests.
public struct AuditLogFile: Sendable {
    public struct Entry: Sendable, Hashable {
        public var time: String
        public var verb: String
        public var path: String
        public var code: Int
        public var namespace: String?
        public var pod: String?
    }

    public var entries: [Entry]
    /// Lines that are not JSON objects of that shape (a line cut by a crash would be one): each is a violation.
    public var malformedLines: Int
    /// The first few malformed lines, with their line numbers, as evidence.
    public var malformedSamples: [String]

    /// Reads the file at `path`.
    ///
    /// - Throws: ``HarnessError`` when the file cannot be read.
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HarnessError("cannot read the audit log \(path)")
        }
        self.init(data: data)
    }

    /// Parses the JSON lines of an audit log.
    public init(data: Data) {
        var entries: [Entry] = []
        var malformed: [String] = []
        var count = 0
        for (number, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated()
        where !line.isEmpty {
            guard let value = try? JSONValue(parsing: line), let verb = value["verb"]?.stringValue,
                let code = value["code"]?.intValue
            else {
                count += 1
                if malformed.count < 5 {
                    malformed.append("line \(number + 1): \(String(decoding: line.prefix(200), as: UTF8.self))")
                }
                continue
            }
            entries.append(Entry(
                time: value["time"]?.stringValue ?? "", verb: verb, path: value["path"]?.stringValue ?? "",
                code: Int(code), namespace: value["namespace"]?.stringValue, pod: value["pod"]?.stringValue))
        }
        self.entries = entries
        self.malformedLines = count
        self.malformedSamples = malformed
    }

    /// Whether an entry is a request on Pods (not Leases, discovery or the simulator's own endpoints).
    static func isPodPath(_ path: String) -> Bool {
        path.hasPrefix("/api/v1/") && (path.hasSuffix("/pods") || path.contains("/pods/"))
    }

    /// The successful Pod creates (201), by Pod name.
    public var successfulCreates: [String: [Entry]] {
        var creates: [String: [Entry]] = [:]
        for entry in entries where entry.verb == "create" && entry.code == 201 && Self.isPodPath(entry.path) {
            creates[entry.pod ?? "?", default: []].append(entry)
        }
        return creates
    }

    /// How many requests got each status code, by verb: `create 201: 500, create 409: 3, …`.
    public var summary: [String: Int] {
        var counts: [String: Int] = [:]
        for entry in entries { counts["\(entry.verb) \(entry.code)", default: 0] += 1 }
        return counts
    }

    /// The entries about one Pod, as lines for a report.
    public func lines(pod: String) -> [String] {
        entries.filter { $0.pod == pod }.map { "\($0.time) \($0.verb) \($0.path) \($0.code)" }
    }
}
