import Foundation
import JSON
import YAML

/// Where and how to reach a Kubernetes API server: the resolved view of a kubeconfig context or of the
/// in-cluster service account.
///
/// Its `description` names the server and the kind of credentials, never their values.
public struct KubeConfig: Sendable, CustomStringConvertible {
    /// `https://host:port` (or `http://` for KubeSim without `--tls`), without a trailing slash.
    public var server: String
    /// The default namespace: the context's, the service account's, else `default`.
    public var namespace: String
    public var tls: TLSOptions
    public var credentials: Credentials

    /// How requests authenticate.
    public enum Credentials: Sendable {
        case none
        /// A fixed bearer token (kubeconfig `token`).
        case token(String)
        /// A bearer token re-read from a file as it rotates (kubeconfig `tokenFile`, in-cluster service account).
        case tokenFile(String)
        /// A client certificate, carried in ``KubeConfig/tls``.
        case clientCertificate
        /// A credential plugin run on demand (kubeconfig `users[].user.exec`); its token or certificate is
        /// cached until it expires and fetched again after a 401.
        case exec(ExecPlugin)
    }

    /// An HTTP(S) proxy for every request (kubeconfig `proxy-url`).
    public var proxyURL: String?

    public init(server: String, namespace: String = "default", tls: TLSOptions = TLSOptions(), credentials: Credentials = .none) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.namespace = namespace
        self.tls = tls
        self.credentials = credentials
    }

    public var description: String {
        let auth: String
        switch credentials {
        case .none: auth = "no credentials"
        case .token: auth = "bearer token"
        case .tokenFile(let path): auth = "token file \(path)"
        case .clientCertificate: auth = "client certificate"
        case .exec(let plugin): auth = "exec plugin \(plugin.command)"
        }
        return "\(server) (namespace \(namespace), \(auth), \(tls))"
    }
}

/// A kubeconfig or in-cluster configuration that cannot be used, naming the file and field.
public struct KubeConfigError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
    public init(_ message: String) { self.message = message }
}

extension KubeConfig {
    /// Loads a kubeconfig as kubectl does.
    ///
    /// - Parameters:
    ///   - path: the file; when nil, every file of `$KUBECONFIG` (merged: the first file to define a name or
    ///     `current-context` wins, as kubectl merges them), else `~/.kube/config`.
    ///   - context: the context to use; the `current-context` when nil.
    /// - Throws: ``KubeConfigError`` naming the file and the field that is missing or wrong.
    public static func load(
        path: String? = nil, context: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> KubeConfig {
        let paths = path.map { [$0] } ?? defaultPaths(environment: environment)
        var files: [KubeConfigFile] = []
        for file in paths {
            guard let data = FileManager.default.contents(atPath: file) else {
                // kubectl ignores KUBECONFIG entries that do not exist; an explicit path must exist.
                if path == nil, paths.count > 1 { continue }
                throw KubeConfigError("cannot read kubeconfig \(file): no such file or not readable; pass --kubeconfig FILE or set KUBECONFIG")
            }
            let document: JSONValue
            do {
                document = try YAML.parse(String(decoding: data, as: UTF8.self))
            } catch {
                throw KubeConfigError("kubeconfig \(file) is not valid YAML: \(error)")
            }
            files.append(KubeConfigFile(document: document, path: file, directory: (file as NSString).deletingLastPathComponent))
        }
        guard !files.isEmpty else {
            throw KubeConfigError("none of the kubeconfig files in KUBECONFIG (\(paths.joined(separator: ":"))) can be read; pass --kubeconfig FILE")
        }
        return try KubeConfigFile.resolve(files, context: context)
    }

    /// The kubeconfig files: `$KUBECONFIG`'s entries, else `~/.kube/config`.
    public static func defaultPaths(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        if let value = environment["KUBECONFIG"], !value.isEmpty {
            let entries = value.split(separator: ":").map(String.init).filter { !$0.isEmpty }
            if !entries.isEmpty { return entries }
        }
        return [NSHomeDirectory() + "/.kube/config"]
    }

    /// Where the kubelet mounts the service account's `token`, `ca.crt` and `namespace`.
    public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// The in-cluster configuration: `KUBERNETES_SERVICE_HOST`/`PORT` and the service account's files.
    ///
    /// The token is re-read from its file as the kubelet rotates it.
    ///
    /// - Parameters:
    ///   - environment: Where `KUBERNETES_SERVICE_HOST`, `KUBERNETES_SERVICE_PORT` and, for tests only,
    ///     `TASKPOD_SERVICEACCOUNT_DIR` come from.
    ///   - accountDirectory: The service account's folder; when nil, `TASKPOD_SERVICEACCOUNT_DIR` (for tests against
    ///     KubeSim's `--write-serviceaccount-dir`), else ``serviceAccountDirectory``.
    /// - Throws: ``KubeConfigError`` when the variables are not set or the token cannot be read.
    public static func inCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        accountDirectory: String? = nil
    ) throws -> KubeConfig {
        let accountDirectory = accountDirectory
            ?? environment["TASKPOD_SERVICEACCOUNT_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? serviceAccountDirectory
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
            let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty
        else {
            throw KubeConfigError("not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set; pass --kubeconfig FILE")
        }
        let tokenPath = accountDirectory + "/token"
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw KubeConfigError("in-cluster token \(tokenPath) is not readable: mount the service account token (automountServiceAccountToken)")
        }
        let caPath = accountDirectory + "/ca.crt"
        let namespace = (try? String(contentsOfFile: accountDirectory + "/namespace", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return KubeConfig(
            server: "https://\(hostPart):\(port)",
            namespace: namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default",
            tls: TLSOptions(caFile: FileManager.default.fileExists(atPath: caPath) ? caPath : nil),
            credentials: .tokenFile(tokenPath)
        )
    }
}
