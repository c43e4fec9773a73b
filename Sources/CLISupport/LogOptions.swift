import ArgumentParser
import Logging

/// `--log-level`, shared by `taskpod` and `kubesim`.
public struct LogOptions: ParsableArguments {
    public init() {}

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    public var logLevel: Logger.Level = .info

    /// Installs the process' log handler (standard error) and returns a logger at the chosen level.
    public func bootstrap(label: String = "taskpod") -> Logger {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}

/// An unknown level is refused by the parser, naming the allowed ones.
extension Logger.Level: @retroactive ExpressibleByArgument {}
