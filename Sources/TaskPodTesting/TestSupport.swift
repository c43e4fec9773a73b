import Foundation
import KubeClient
import KubeSim
import Logging
import ServiceLifecycle

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

/// A KubeSim running on a random loopback port for the duration of a test, with a kubeconfig file and a
/// client pointing at it.
public struct RunningSim: Sendable {
    public let sim: KubeSim
    public let kubeconfigPath: String
    public let client: KubeClient
    public let directory: TemporaryDirectory
}

/// Runs `body` with a KubeSim listening on a random port; stops it afterwards.
public func withKubeSim<T: Sendable>(
    _ configuration: KubeSimConfiguration = KubeSimConfiguration(),
    namespace: String = "default",
    _ body: @Sendable (RunningSim) async throws -> T
) async throws -> T {
    let logger = Logger.test("kubesim")
    let directory = try TemporaryDirectory(prefix: "kubesim")
    defer { directory.remove() }
    let sim = KubeSim(configuration: configuration, logger: logger)
    let services = ServiceGroup(configuration: .init(services: [.init(service: sim)], logger: logger))
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            try await services.run()
            return nil
        }
        _ = try await sim.waitUntilListening()
        let path = directory.file("kubeconfig")
        try await sim.kubeconfig(namespace: namespace).write(toFile: path, atomically: true, encoding: .utf8)
        // A transport of its own, shut down before the server so that no idle connection holds up its drain.
        let engine = CurlEngine()
        let client = KubeClient(config: try KubeConfig.load(path: path), logger: Logger.test("client"), engine: engine)
        let running = RunningSim(sim: sim, kubeconfigPath: path, client: client, directory: directory)
        let result: Result<T, any Error>
        do {
            result = .success(try await body(running))
        } catch {
            result = .failure(error)
        }
        await engine.shutdown()
        await services.triggerGracefulShutdown()
        try await group.waitForAll()
        return try result.get()
    }
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
public func eventually(
    timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(50),
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}
