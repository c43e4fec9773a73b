import Hummingbird
import NIOCore

extension KubeSim {
    /// The HTTP listener: the one place that decides address, protocol and (later) TLS.
    func makeApplication() -> some ApplicationProtocol {
        let responder = APIResponder(
            store: store, audit: audit, configuration: configuration, listenState: listenState, logger: logger)
        let listenState = listenState
        let configuredPort = configuration.port
        return Application(
            responder: responder,
            server: .http1(),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in
                listenState.listening(port: channel.localAddress?.port ?? configuredPort)
            },
            logger: logger)
    }
}
