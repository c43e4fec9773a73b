import Foundation
import JSON
import Logging

/// Writes each log message as one JSON object on one line: `time` (RFC 3339, UTC, with fractional seconds),
/// `level`, `label`, `message`, `source`, then every metadata key as its own field (`task.id`, `pod.name`, …;
/// nested metadata stays a JSON object or array, other values are strings, errors their description).
///
/// A metadata key that is one of the five fields above is written as `metadata.<key>`.
///
/// ```swift
/// LoggingSystem.bootstrap { JSONLogHandler.standardError(label: $0) }
/// ```
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    private let label: String
    private let write: @Sendable (String) -> Void

    /// One static style: building an `ISO8601DateFormatter` per line would cost more than the rest of the line.
    static let timeStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)
    private static let reserved: Set<String> = ["time", "level", "label", "message", "source"]

    /// A handler that hands each line (with its newline) to `write`.
    public init(label: String, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider,
                write: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.write = write
    }

    /// A handler writing to standard error, one `write` per line so that lines of several threads do not interleave.
    public static func standardError(label: String) -> JSONLogHandler {
        JSONLogHandler(label: label) { line in FileHandle.standardError.write(Data(line.utf8)) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: Logger.Metadata = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { _, new in new } }
        if let given = event.metadata { fields.merge(given) { _, new in new } }
        write(Self.line(time: Date(), level: event.level, label: label, message: event.message.description,
                        source: event.source, metadata: fields))
    }

    /// One log line, newline included.
    static func line(time: Date, level: Logger.Level, label: String, message: String, source: String,
                     metadata: Logger.Metadata) -> String {
        var object: JSONObject = [
            "time": .string(timeStyle.format(time)),
            "level": .string(level.rawValue),
            "label": .string(label),
            "message": .string(message),
            "source": .string(source),
        ]
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            object[reserved.contains(key) ? "metadata." + key : key] = json(value)
        }
        return JSONValue.object(object).jsonString + "\n"
    }

    private static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let string): .string(string)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let values): .array(values.map(json))
        case .dictionary(let dictionary):
            .object(JSONObject(dictionary.sorted { $0.key < $1.key }.map { ($0.key, json($0.value)) }))
        }
    }
}
