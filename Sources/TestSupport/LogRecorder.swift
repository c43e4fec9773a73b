import Logging
import Synchronization

/// Keeps every log line, metadata included, in memory, at every level.
public final class LogRecorder: Sendable {
    public init() {}

    private let lines = Mutex<[String]>([])

    /// A logger at every level whose lines this recorder keeps.
    public var logger: Logger {
        var logger = Logger(label: "taskpod.tests") { _ in Handler(recorder: self) }
        logger.logLevel = .trace
        return logger
    }

    /// Every line so far: level, source, message, metadata sorted by key, and the error.
    public var recorded: [String] { lines.withLock { $0 } }

    fileprivate func record(_ line: String) { lines.withLock { $0.append(line) } }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            let error = event.error.map { " error: \($0)" } ?? ""
            recorder.record("\(event.level) \(event.source) \(event.message) \(all.sorted { $0.key < $1.key })\(error)")
        }
    }
}
