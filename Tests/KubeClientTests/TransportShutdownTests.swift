@testable import KubeClient
import KubeSimTestKit
import Logging
import TestSupport
import Testing

/// Shutdown racing everything else a transport is asked to do: new transfers, cancellations, responses dropped
/// half read, the last reference going away. Nothing may crash or hang; under ASan or valgrind, nothing may
/// touch a freed multi handle.
@Suite("Transport shutdown races")
struct TransportShutdownTests {
    /// One worker's mix: a whole request, a response dropped unread (paused by a one-byte buffer), a request
    /// cancelled at a random moment.
    static func work(_ client: KubeClient, engine: CurlEngine, seed: Int) async {
        guard let list = try? await client.makeRequest(.get, "/api/v1/namespaces/default/pods") else { return }
        for step in 0..<4 {
            switch (seed + step) % 3 {
            case 0:
                _ = try? await engine.perform(list)
            case 1:
                // Dropped unread: TransferOwner's deinit cancels it.
                _ = try? await engine.stream(list, bufferLimit: 1)
            default:
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { _ = try? await engine.perform(list) }
                    if seed % 2 == 0 { await Task.yield() }
                    group.cancelAll()
                }
            }
        }
    }

    @Test("shutdown while many tasks submit and cancel transfers", arguments: [false, true])
    func shutdownRace(dropInsteadOfShutdown: Bool) async throws {
        try await withKubeSim { sim in
            for round in 0..<30 {
                var engine: CurlEngine? = CurlEngine()
                let client = KubeClient(config: sim.client.config, logger: .test(), engine: engine!)
                await withTaskGroup(of: Void.self) { [engine] group in
                    for worker in 0..<24 {
                        group.addTask { await Self.work(client, engine: engine!, seed: worker + round) }
                    }
                    group.addTask {
                        // From before the first transfer is queued to while many are in flight.
                        if round % 3 == 0 {
                            await Task.yield()
                        } else {
                            try? await Task.sleep(for: .milliseconds(round % 10))
                        }
                        if !dropInsteadOfShutdown { await engine!.shutdown() }
                    }
                }
                // Shutting down again is a no-op; requests after it fail at once.
                if !dropInsteadOfShutdown {
                    await engine!.shutdown()
                    await #expect(throws: TransportError.self) {
                        _ = try await engine!.perform(try await client.makeRequest(.get, "/api/v1/namespaces/default/pods"))
                    }
                }
                // Dropping the last reference stops the thread from deinit.
                engine = nil
            }
        }
    }
}
