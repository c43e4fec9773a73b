import Foundation
import Logging

/// A fresh temporary folder, removed by ``remove()``.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "taskpod-test") throws {
        path = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}

extension Logger {
    /// A logger for tests: quiet unless `TASKPOD_TEST_LOG` names a level.
    public static func test(_ label: String = "test") -> Logger {
        var logger = Logger(label: label) { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .trace
            return handler
        }
        let level = ProcessInfo.processInfo.environment["TASKPOD_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) }
        logger.logLevel = level ?? .critical
        return logger
    }
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held. A cancelled task stops polling
/// and gets the condition's last answer.
public func eventually(
    timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(50),
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        do {
            try await Task.sleep(for: interval)
        } catch {
            break
        }
    }
    return try await condition()
}

/// Sleeps for `duration` even when the calling task is cancelled, for the few waits that must run to their end
/// (turning off an injected fault, finishing a measurement): `try? await Task.sleep` would return at once, and a
/// loop around it would spin. The sleep runs in a task of its own, which the caller awaits.
public func sleepIgnoringCancellation(for duration: Duration) async {
    await Task { try? await Task.sleep(for: duration) }.value
}
