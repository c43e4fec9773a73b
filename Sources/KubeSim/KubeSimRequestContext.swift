import Hummingbird
import NIOCore
#if canImport(NIOSSL)
import NIOSSL
#endif

/// The request context of KubeSim's routes: Hummingbird's core context plus the connection, to read the client
/// certificate from it.
struct KubeSimRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Whether the client presented a certificate that the TLS handshake verified against the sim's CA (on the
    /// connection, or on the HTTP/2 connection carrying this stream).
    func hasVerifiedClientCertificate() async -> Bool {
        #if canImport(NIOSSL)
        for candidate in [channel, channel.parent].compactMap({ $0 }) {
            if let present = try? await candidate.nioSSL_peerCertificate().map({ $0 != nil }).get() {
                return present
            }
        }
        #endif
        return false
    }
}
