#if canImport(NIOSSL) && canImport(NIOPosix) && canImport(NIOHTTP1) && canImport(NIOTLS)
import JSON
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import Testing

/// HTTP/1.1 over SwiftNIO, plain or TLS with the sim's CA and optionally a client certificate: what URLSession on
/// Linux cannot do. One connection per request (`Connection: close`).
struct NIOTransport: RawTransport {
    let host: String
    let port: Int
    let context: NIOSSLContext?

    /// - Parameters:
    ///   - certificateAuthority: The CA to trust (PEM); `nil` for plain HTTP.
    ///   - clientCertificate: A certificate and key (PEM) to present.
    ///   - applicationProtocols: ALPN protocols to offer.
    init(
        port: Int, certificateAuthority: String?, clientCertificate: (certificate: String, privateKey: String)? = nil,
        applicationProtocols: [String] = ["http/1.1"]
    ) throws {
        host = "127.0.0.1"
        self.port = port
        guard let certificateAuthority else {
            context = nil
            return
        }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates([
            try NIOSSLCertificate(bytes: Array(certificateAuthority.utf8), format: .pem),
        ])
        configuration.certificateVerification = .fullVerification
        configuration.applicationProtocols = applicationProtocols
        if let clientCertificate {
            configuration.certificateChain = [
                .certificate(try NIOSSLCertificate(bytes: Array(clientCertificate.certificate.utf8), format: .pem)),
            ]
            configuration.privateKey = .privateKey(
                try NIOSSLPrivateKey(bytes: Array(clientCertificate.privateKey.utf8), format: .pem))
        }
        context = try NIOSSLContext(configuration: configuration)
    }

    private typealias Connection = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    private func connect() async throws -> Connection {
        let context = context
        return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
    }

    private func send(
        _ method: String, _ path: String, headers: [(String, String)], body: [UInt8]?,
        to outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>
    ) async throws {
        var fields = HTTPHeaders(headers)
        fields.replaceOrAdd(name: "Host", value: "localhost:\(port)")
        fields.replaceOrAdd(name: "Connection", value: "close")
        if let body { fields.replaceOrAdd(name: "Content-Length", value: String(body.count)) }
        try await outbound.write(.head(HTTPRequestHead(
            version: .http1_1, method: HTTPMethod(rawValue: method), uri: path, headers: fields)))
        if let body { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
        try await outbound.write(.end(nil))
    }

    func request(_ method: String, _ path: String, headers: [(String, String)], body: [UInt8]?) async throws
        -> HTTPResult
    {
        let connection = try await connect()
        return try await connection.executeThenClose { inbound, outbound in
            try await send(method, path, headers: headers, body: body, to: outbound)
            var result = HTTPResult(status: 0, headers: [:], body: [])
            for try await part in inbound {
                switch part {
                case .head(let head):
                    result.status = Int(head.status.code)
                    for (name, value) in head.headers {
                        result.headers[name] = result.headers[name].map { $0 + ", " + value } ?? value
                    }
                case .body(let buffer): result.body += buffer.readableBytesView
                case .end: return result
                }
            }
            return result
        }
    }

    func stream(_ path: String, headers: [(String, String)], into stream: WatchStream) -> Task<Void, Never> {
        Task {
            do {
                let connection = try await connect()
                try await connection.executeThenClose { inbound, outbound in
                    try await send("GET", path, headers: headers, body: nil, to: outbound)
                    for try await part in inbound {
                        switch part {
                        case .head(let head): stream.setStatus(Int(head.status.code))
                        case .body(let buffer): stream.receive(buffer.readableBytesView)
                        case .end:
                            stream.finish()
                            return
                        }
                    }
                    // The connection closed before the end of the response: a cut stream.
                    stream.finish(error: ChannelError.eof)
                }
            } catch {
                stream.finish(error: error)
            }
        }
    }

    /// Connects, completes the TLS handshake offering `protocols` by ALPN, and returns what the server chose.
    func negotiatedProtocol() async throws -> String? {
        let context = try #require(context)
        let promise = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: String?.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                    try channel.pipeline.syncOperations.addHandler(ALPNRecorder(promise: promise))
                }
            }
            .connect(host: host, port: port).get()
        defer { channel.close(promise: nil) }
        return try await promise.futureResult.get()
    }
}

/// Completes its promise with the protocol ALPN negotiated, at the end of the TLS handshake.
private final class ALPNRecorder: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let promise: EventLoopPromise<String?>

    init(promise: EventLoopPromise<String?>) {
        self.promise = promise
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted(let negotiated) = event {
            promise.succeed(negotiated)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.fireErrorCaught(error)
    }
}
#endif
