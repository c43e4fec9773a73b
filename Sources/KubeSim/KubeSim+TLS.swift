#if canImport(HummingbirdTLS) && canImport(HummingbirdHTTP2) && canImport(NIOSSL)
import Hummingbird
import HummingbirdHTTP2
import Logging
import NIOCore
import HummingbirdTLS
import NIOSSL
import Synchronization

extension KubeSim {
    /// The certificates and the server's TLS configuration of an HTTPS sim.
    struct TLSSetup: Sendable {
        var material: TLSMaterial
        var configuration: TLSConfiguration

        /// The HTTPS application: HTTP/2 and HTTP/1.1 by ALPN, or HTTP/1.1 only.
        func application(
            responder: APIResponder, http2: Bool, configuration address: ApplicationConfiguration,
            onServerRunning: @escaping @Sendable (any Channel) async -> Void, logger: Logger
        ) throws -> Application<APIResponder> {
            if http2 {
                return Application(
                    responder: responder, server: try .http2Upgrade(tlsConfiguration: configuration),
                    configuration: address, onServerRunning: onServerRunning, logger: logger)
            }
            var http1 = configuration
            http1.applicationProtocols = ["http/1.1"]
            return Application(
                responder: responder, server: try .tls(.http1(), tlsConfiguration: http1),
                configuration: address, onServerRunning: onServerRunning, logger: logger)
        }
    }

    /// Makes the throwaway CA and certificates, and the TLS configuration that serves them: client certificates
    /// are asked for, verified against the CA when presented, and optional.
    func makeTLS() async throws(KubeSimError) -> TLSSetup {
        let material = try await TLSMaterial.generate(host: configuration.host)
        do {
            let certificate = try NIOSSLCertificate(bytes: Array(material.serverCertificatePEM.utf8), format: .pem)
            let key = try NIOSSLPrivateKey(bytes: Array(material.serverKeyPEM.utf8), format: .pem)
            let authority = try NIOSSLCertificate(bytes: Array(material.certificateAuthorityPEM.utf8), format: .pem)
            var tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: [.certificate(certificate)], privateKey: .privateKey(key))
            tls.trustRoots = .certificates([authority])
            tls.certificateVerification = .optionalVerification
            tlsMaterial.withLock { $0 = material }
            return TLSSetup(material: material, configuration: tls)
        } catch {
            throw KubeSimError(.tlsSetupFailed, "cannot load the certificates openssl made: \(error)")
        }
    }
}
#else
import Hummingbird
import Logging
import NIOCore

extension KubeSim {
    /// This build has no TLS support: KubeSim was built without the HummingbirdTLS, HummingbirdHTTP2 and NIOSSL
    /// products.
    enum TLSSetup: Sendable {
        func application(
            responder: APIResponder, http2: Bool, configuration address: ApplicationConfiguration,
            onServerRunning: @escaping @Sendable (any Channel) async -> Void, logger: Logger
        ) throws -> Application<APIResponder> {
            switch self {}
        }
    }

    func makeTLS() async throws(KubeSimError) -> TLSSetup {
        throw KubeSimError(
            .tlsSetupFailed,
            "this build of KubeSim has no HTTPS support: its target needs the HummingbirdTLS, HummingbirdHTTP2 and "
                + "NIOSSL products")
    }
}
#endif
