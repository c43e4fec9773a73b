import Foundation
import Synchronization

/// Checks a request's credentials against ``KubeSimAuthentication``: bearer tokens (configured, or from a token
/// file re-read whenever it changes) and verified client certificates.
final class Authenticator: Sendable {
    private struct TokenFile {
        var modified: Date?
        var size: UInt64?
        var tokens: Set<String> = []
    }

    let authentication: KubeSimAuthentication
    private let tokenFile = Mutex(TokenFile())

    init(_ authentication: KubeSimAuthentication) {
        self.authentication = authentication
    }

    /// Paths anyone may read, as the default RBAC's `system:public-info-viewer` allows.
    static func isPublic(_ path: String) -> Bool {
        ["/version", "/version/", "/healthz", "/livez", "/readyz"].contains(path)
    }

    /// Who a request authenticated as.
    enum Identity: Sendable, Equatable {
        /// Anonymous access (no authentication configured), a plain token or a client certificate: a cluster
        /// admin, never subject to RBAC.
        case unrestricted
        /// A service account, whose requests RBAC authorizes.
        case user(KubeSimRBAC.User)

        /// The service account's user name, for the audit log.
        var userName: String? {
            if case .user(let user) = self { user.name } else { nil }
        }
    }

    /// Who the request is, or `nil` when its credentials are missing or wrong.
    ///
    /// - Parameters:
    ///   - authorization: The `Authorization` header.
    ///   - certificate: Checks for a verified client certificate (only called when needed).
    func authenticate(authorization: String?, certificate: () async -> Bool) async -> Identity? {
        guard authentication.isEnabled else { return .unrestricted }
        // As the API server's union authenticator: the x509 authenticator first, then bearer tokens.
        if authentication.clientCertificates, await certificate() { return .unrestricted }
        if let authorization, authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " {
            let token = String(authorization.dropFirst(7)).trimmingWhitespace
            guard !token.isEmpty else { return nil }
            if let account = authentication.serviceAccounts[token] {
                return .user(.serviceAccount(namespace: account.namespace, name: account.name))
            }
            if authentication.tokens.contains(token) || fileTokens().contains(token) { return .unrestricted }
        }
        return nil
    }

    /// The token file's tokens, read again when its modification time or size changed.
    private func fileTokens() -> Set<String> {
        guard let path = authentication.tokenFile else { return [] }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let modified = attributes?[.modificationDate] as? Date
        let size = (attributes?[.size] as? NSNumber)?.uint64Value
        if let cached = tokenFile.withLock({ file -> Set<String>? in
            file.modified == modified && file.size == size && modified != nil ? file.tokens : nil
        }) {
            return cached
        }
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        var tokens: Set<String> = []
        for line in text.split(whereSeparator: \.isNewline) {
            let token = String(line).trimmingWhitespace
            if !token.isEmpty, !token.hasPrefix("#") { tokens.insert(token) }
        }
        tokenFile.withLock { $0 = TokenFile(modified: modified, size: size, tokens: tokens) }
        return tokens
    }
}
