import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

extension KubeSim {
    /// The HTTP listener: the one place that decides address, protocol and TLS.
    func makeApplication(port: Int, tls: TLSSetup?) throws -> some ApplicationProtocol {
        let responder = APIResponder(
            store: store, audit: audit, configuration: configuration, listenState: listenState,
            faults: faultInjector, authenticator: authenticator, logger: logger)
        let listenState = listenState
        let address = ApplicationConfiguration(address: .hostname(configuration.host, port: port), serverName: nil)
        let onServerRunning: @Sendable (any Channel) async -> Void = { channel in
            listenState.listening(port: channel.localAddress?.port ?? port)
        }
        guard let tls else {
            return Application(
                responder: responder, server: .http1(), configuration: address, onServerRunning: onServerRunning,
                logger: logger)
        }
        return try tls.application(
            responder: responder, http2: configuration.http2, configuration: address,
            onServerRunning: onServerRunning, logger: logger)
    }

    /// How long connections may drain after a graceful shutdown before they are closed.
    static let shutdownDrain: Duration = .seconds(2)

    private enum ServeEnd: Sendable {
        case stopped
        case downtime(Duration)
        case cancelled
    }

    /// Runs the listener until shutdown; for an injected downtime, closes it (clients get connection refused),
    /// waits, and listens again on the same port.
    func serve(tls: TLSSetup?) async throws {
        var port = configuration.port
        while !Task.isCancelled {
            let application = try makeApplication(port: port, tls: tls)
            let end = try await withThrowingTaskGroup(of: ServeEnd.self) { group in
                group.addTask {
                    try await application.run()
                    return .stopped
                }
                group.addTask {
                    guard let downtime = await self.faultInjector.nextDowntime() else { return .cancelled }
                    // Let the response to the request that asked for the downtime go out first.
                    try? await Task.sleep(for: .milliseconds(50))
                    return .downtime(downtime)
                }
                group.addTask {
                    // On shutdown, connections get a short drain; a client that keeps an idle connection open (as
                    // HTTP/2 clients do) must not hold the server up for ever.
                    do { try await gracefulShutdown() } catch { return .cancelled }
                    try? await Task.sleep(for: Self.shutdownDrain)
                    return .stopped
                }
                let first = try await group.next() ?? .stopped
                if case .downtime = first { store.dropWatches() }
                group.cancelAll()
                while true {
                    do {
                        guard try await group.next() != nil else { break }
                    } catch {
                        continue
                    }
                }
                return first
            }
            guard case .downtime(let downtime) = end else { return }
            logger.info("Injected downtime: the listener is closed", metadata: ["kubesim.downtime": "\(downtime)"])
            port = listenState.port ?? port
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: downtime) }
            } catch {
                return
            }
            logger.info("Injected downtime over: listening again", metadata: ["kubesim.port": "\(port)"])
        }
    }

    /// Cuts every watch's connection as often as the faults say.
    func dropWatchesPeriodically() async {
        while !Task.isCancelled {
            let generation = faultInjector.generation
            guard let every = faultInjector.faults.dropWatchesEvery else {
                await faultInjector.waitForChange(after: generation)
                continue
            }
            let elapsed = await withTaskGroup(of: Bool.self) { group in
                group.addTask { (try? await Task.sleep(for: every)) != nil }
                group.addTask {
                    await self.faultInjector.waitForChange(after: generation)
                    return false
                }
                let first = await group.next() ?? false
                group.cancelAll()
                return first
            }
            if elapsed {
                logger.debug("Injected fault: dropping every watch")
                store.dropWatches()
            }
        }
    }
}
