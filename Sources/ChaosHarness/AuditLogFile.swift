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
    /// Lines that are not JSON objects of that shape (a line cut by a crash would be one).
    public var malformedLines: Int

    /// Reads the file at `path`.
    ///
    /// - Throws: ``HarnessError`` when the file cannot be read.
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HarnessError("cannot read the audit log \(path)")
        }
        var entries: [Entry] = []
        var malformed = 0
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            guard let value = try? JSONValue(parsing: line), let verb = value["verb"]?.stringValue,
                let code = value["code"]?.intValue
            else {
                malformed += 1
                continue
            }
            entries.append(Entry(
                time: value["time"]?.stringValue ?? "", verb: verb, path: value["path"]?.stringValue ?? "",
                code: Int(code), namespace: value["namespace"]?.stringValue, pod: value["pod"]?.stringValue))
        }
        self.entries = entries
        self.malformedLines = malformed
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
