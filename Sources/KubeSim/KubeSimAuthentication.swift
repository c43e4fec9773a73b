/// Who may call a ``KubeSim``: bearer tokens and client certificates, as the API server's token-file and x509
/// authenticators. When any is configured, requests without valid credentials get 401 `Unauthorized`, except
/// `/version`, `/healthz`, `/livez`, `/readyz` (public, as with anonymous auth and the default RBAC) and the
/// `/kubesim/` control endpoints.
///
/// ```swift
/// var configuration = KubeSimConfiguration()
/// configuration.tls = true
/// configuration.authentication.tokens = ["s3cret"]
/// configuration.authentication.tokenFile = "/tmp/tokens"     // one token a line, re-read when it changes
/// configuration.authentication.clientCertificates = true     // certificates signed by the sim's CA
/// configuration.authentication.serviceAccounts = ["t0ken": .init(namespace: "taskpod", name: "taskpod")]
/// ```
///
/// Service-account tokens authenticate as `system:serviceaccount:NS:NAME`, whose requests
/// ``KubeSimConfiguration/rbac`` authorizes; every other credential acts as a cluster admin.
public struct KubeSimAuthentication: Sendable, Equatable {
    /// Bearer tokens accepted for the whole run.
    public var tokens: Set<String> = []
    /// A file of accepted bearer tokens, one a line (blank lines and `#` comments ignored), re-read when its
    /// modification time or size changes: rewrite it to rotate tokens while the sim runs.
    public var tokenFile: String? = nil
    /// Accept client certificates signed by the sim's CA (needs ``KubeSimConfiguration/tls``); the sim issues
    /// one for the kubeconfig (see ``KubeSim/kubeconfig(namespace:user:)``).
    public var clientCertificates: Bool = false

    /// Bearer tokens of service accounts, by token: their requests are authorized by ``KubeSimConfiguration/rbac``.
    public var serviceAccounts: [String: ServiceAccount] = [:]

    /// A service account (`namespace/name`) that a token authenticates as.
    public struct ServiceAccount: Sendable, Hashable, CustomStringConvertible {
        public var namespace: String
        public var name: String

        public init(namespace: String, name: String) {
            self.namespace = namespace
            self.name = name
        }

        /// `NS/NAME`.
        public var description: String { "\(namespace)/\(name)" }
    }

    public init(
        tokens: Set<String> = [], tokenFile: String? = nil, clientCertificates: Bool = false,
        serviceAccounts: [String: ServiceAccount] = [:]
    ) {
        self.tokens = tokens
        self.tokenFile = tokenFile
        self.clientCertificates = clientCertificates
        self.serviceAccounts = serviceAccounts
    }

    /// Whether any credential is required.
    public var isEnabled: Bool { !tokens.isEmpty || tokenFile != nil || clientCertificates || !serviceAccounts.isEmpty }
}
