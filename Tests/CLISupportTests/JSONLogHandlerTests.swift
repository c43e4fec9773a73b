import CLISupport
import Foundation
import JSON
import Logging
import Synchronization
import Testing

@Suite("JSON log lines")
struct JSONLogHandlerTests {
    final class Lines: Sendable {
        let written = Mutex<[String]>([])
    }

    /// A logger whose handler writes into `lines`.
    static func logger(_ lines: Lines) -> Logger {
        var logger = Logger(label: "taskpod.test") { label in
            JSONLogHandler(label: label, metadataProvider: nil) { line in lines.written.withLock { $0.append(line) } }
        }
        logger.logLevel = .debug
        logger[metadataKey: "controller.id"] = "c1"
        return logger
    }

    @Test("every line is one JSON object with the fields and each metadata key as its own field")
    func fields() throws {
        let lines = Lines()
        let logger = Self.logger(lines)
        struct Failure: Error, CustomStringConvertible { var description: String { "pod gone" } }
        logger.info("created \"pod\"\nsecond line", metadata: [
            "task.id": "42", "pod.name": "p-1", "error": "\(Failure())",
            "labels": ["app": "x"], "containers": ["base", "sidecar"], "message": "clash",
        ])
        logger.debug("plain")
        logger.trace("below the level")
        let written = lines.written.withLock { $0 }
        #expect(written.count == 2)
        #expect(written.allSatisfy { $0.hasSuffix("\n") && $0.dropLast().allSatisfy { $0 != "\n" } })
        let first = try JSONValue(parsing: written[0])
        #expect(first["level"] == "info")
        #expect(first["label"] == "taskpod.test")
        #expect(first["message"] == "created \"pod\"\nsecond line")
        #expect(first["source"] == "CLISupportTests")
        #expect(first["task.id"] == "42")
        #expect(first["pod.name"] == "p-1")
        #expect(first["controller.id"] == "c1")
        #expect(first["error"] == "pod gone")
        #expect(first["labels"] == ["app": "x"])
        #expect(first["containers"] == ["base", "sidecar"])
        #expect(first["metadata.message"] == "clash")
        let time = try #require(first["time"]?.stringValue)
        #expect(time.hasSuffix("Z") && time.contains("."), "\(time)")
        let parsed = try Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(time)
        #expect(abs(parsed.timeIntervalSinceNow) < 60)
        #expect(try JSONValue(parsing: written[1])["message"] == "plain")
    }
}
