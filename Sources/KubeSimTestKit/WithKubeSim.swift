import Foundation
import KubeClient
import KubeSim
import Logging
import ServiceLifecycle
import TestSupport

/// A KubeSim running on a random loopback port for the duration of a test, with a kubeconfig file and a
/// client pointing at it.
public struct RunningSim: Sendable {
    public let sim: KubeSim
    public let kubeconfigPath: String
    public let client: KubeClient
    public let directory: TemporaryDirectory
}

/// Runs `body` with a KubeSim listening on a random port; stops it afterwards. The client counts its requests with
/// `clientMeters` (a test's own metrics registry; by default the process's, a no-op unless bootstrapped).
public func withKubeSim<T: Sendable>(
    _ configuration: KubeSimConfiguration = KubeSimConfiguration(),
    namespace: String = "default",
    clientMeters: KubeClientMeters = KubeClientMeters(),
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
        let client = KubeClient(config: try KubeConfig.load(path: path), logger: Logger.test("client"), engine: engine,
                                meters: clientMeters)
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
