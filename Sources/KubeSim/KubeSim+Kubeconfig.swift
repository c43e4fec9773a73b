import Foundation
import Synchronization

extension KubeSim {
    /// Which user a kubeconfig from ``KubeSim/kubeconfig(namespace:user:)`` carries.
    public enum KubeconfigUser: Sendable, Equatable {
        /// A configured token (the first in sorted order), else the token file, else with TLS the issued client
        /// certificate (as a kind cluster's kubeconfig: over HTTPS kubectl would prompt for a user name without
        /// credentials), else no credentials.
        case automatic
        /// No credentials (`user: {}`).
        case anonymous
        /// `token: …`.
        case token(String)
        /// `tokenFile: …`, which clients re-read.
        case tokenFile(String)
        /// The client certificate the sim issued (`CN=kubesim-admin`, `O=system:masters`), as
        /// `client-certificate-data` and `client-key-data`; needs TLS.
        case clientCertificate
    }

    /// A kubeconfig (YAML text) with one cluster, user and context, all named `kubesim`, pointing at this server;
    /// with TLS it carries the sim's CA as `certificate-authority-data`.
    ///
    /// - Parameters:
    ///   - namespace: The context's namespace.
    ///   - user: The credentials to write.
    /// - Throws: ``KubeSimError`` when `namespace` is not a DNS-1123 label, a client certificate is asked of a sim
    ///   without TLS, or the server stopped before listening.
    public func kubeconfig(namespace: String = "default", user: KubeconfigUser = .automatic) async throws -> String {
        guard Validation.dns1123LabelProblems(namespace).isEmpty else {
            throw KubeSimError(
                .invalidNamespace,
                "the namespace \(namespace.quoted) is not a DNS-1123 label (lower case letters, digits and '-')")
        }
        let server = url(port: try await waitUntilListening())
        let material = tlsMaterial.withLock { $0 }
        var cluster = "    server: \(server)\n"
        if let material {
            cluster += "    certificate-authority-data: \(Self.base64(material.certificateAuthorityPEM))\n"
        }
        var resolved = user
        if resolved == .automatic {
            let authentication = configuration.authentication
            if let token = authentication.tokens.sorted().first {
                resolved = .token(token)
            } else if let file = authentication.tokenFile {
                resolved = .tokenFile(file)
            } else if authentication.clientCertificates || material != nil {
                resolved = .clientCertificate
            } else {
                resolved = .anonymous
            }
        }
        let credentials: String
        switch resolved {
        case .automatic, .anonymous:
            credentials = "  user: {}\n"
        case .token(let token):
            credentials = "  user:\n    token: \(token.quoted)\n"
        case .tokenFile(let path):
            credentials = "  user:\n    tokenFile: \(path.quoted)\n"
        case .clientCertificate:
            guard let material else {
                throw KubeSimError(.tlsSetupFailed, "a client certificate needs a sim with TLS (--tls)")
            }
            credentials = "  user:\n    client-certificate-data: \(Self.base64(material.clientCertificatePEM))\n"
                + "    client-key-data: \(Self.base64(material.clientKeyPEM))\n"
        }
        return """
            apiVersion: v1
            kind: Config
            clusters:
            - name: kubesim
              cluster:
            \(cluster)users:
            - name: kubesim
            \(credentials)contexts:
            - name: kubesim
              context:
                cluster: kubesim
                user: kubesim
                namespace: "\(namespace)"
            current-context: kubesim
            preferences: {}

            """
    }

    /// The sim's CA certificate (PEM), once it listens with TLS; `nil` without TLS.
    public func certificateAuthorityPEM() async throws -> String? {
        _ = try await waitUntilListening()
        return tlsMaterial.withLock { $0?.certificateAuthorityPEM }
    }

    /// The client certificate and key (PEM) the sim issued for `CN=kubesim-admin`, once it listens with TLS;
    /// `nil` without TLS.
    public func clientCertificatePEM() async throws -> (certificate: String, privateKey: String)? {
        _ = try await waitUntilListening()
        return tlsMaterial.withLock { material in
            material.map { ($0.clientCertificatePEM, $0.clientKeyPEM) }
        }
    }

    private static func base64(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
    }
}
