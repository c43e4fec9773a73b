import ArgumentParser
import Logging

/// `--log-level` and `--log-format`, shared by `taskpod` and `kubesim`.
public struct LogOptions: ParsableArguments {
    public init() {}

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. (default: info)")
    public var logLevel: Logger.Level?

    @Option(help: "Log format: text (for people) or json (one object per line, for log collectors). (default: text)")
    public var logFormat: LogFormat?

    /// Installs the process' log handler (standard error) and returns a logger at the chosen level.
    public func bootstrap(label: String = "taskpod") -> Logger {
        Self.bootstrap(level: logLevel ?? .info, format: logFormat ?? .text, label: label)
    }

    /// Installs the process' log handler (standard error) in `format` and returns a logger at `level`.
    public static func bootstrap(level: Logger.Level, format: LogFormat, label: String = "taskpod") -> Logger {
        LoggingSystem.bootstrap { label in
            switch format {
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            case .json:
                var handler = JSONLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}

/// How log lines are written.
public enum LogFormat: String, Sendable, CaseIterable, ExpressibleByArgument {
    /// swift-log's text lines, for people.
    case text
    /// One JSON object per line, for log collectors.
    case json
}

/// An unknown level is refused by the parser, naming the allowed ones.
extension Logger.Level: @retroactive ExpressibleByArgument {}
