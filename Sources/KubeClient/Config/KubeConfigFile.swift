import Foundation
import JSON

/// One kubeconfig document, and the rules to resolve a context across several merged ones.
struct KubeConfigFile {
    let document: JSONValue
    let path: String
    /// Relative file references resolve against the folder of the kubeconfig that holds them, as kubectl does.
    let directory: String

    /// An entry of `clusters`, `users` or `contexts`, with the file it came from.
    struct Entry {
        var value: JSONValue
        var file: KubeConfigFile
    }

    /// The first file's entry called `name` in `list`.
    static func named(_ list: String, _ name: String, field: String, in files: [KubeConfigFile]) throws -> Entry {
        for file in files {
            for entry in file.document[list]?.arrayValue ?? [] where entry["name"]?.stringValue == name {
                return Entry(value: entry[field] ?? .object(JSONObject()), file: file)
            }
        }
        let known = files.flatMap { ($0.document[list]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue } }
        let where_ = files.map(\.path).joined(separator: ", ")
        throw KubeConfigError("kubeconfig \(where_) has no \(field) named \"\(name)\" in \(list) (known: \(known.isEmpty ? "none" : known.joined(separator: ", ")))")
    }

    static func resolve(_ files: [KubeConfigFile], context requested: String?) throws -> KubeConfig {
        let names = files.map(\.path).joined(separator: ", ")
        let contextName: String
        if let requested {
            contextName = requested
        } else if let current = files.lazy.compactMap({ $0.document["current-context"]?.stringValue }).first(where: { !$0.isEmpty }) {
            contextName = current
        } else {
            throw KubeConfigError("kubeconfig \(names) has no current-context: set one (kubectl config use-context NAME) or pass --context NAME")
        }
        let context = try named("contexts", contextName, field: "context", in: files)
        guard let clusterName = context.value["cluster"]?.stringValue else {
            throw KubeConfigError("kubeconfig \(context.file.path): context \"\(contextName)\" has no cluster")
        }
        let cluster = try named("clusters", clusterName, field: "cluster", in: files)
        var user: Entry?
        if let userName = context.value["user"]?.stringValue, !userName.isEmpty {
            user = try named("users", userName, field: "user", in: files)
        }
        var config = try cluster.file.cluster(cluster.value, name: clusterName)
        if let user { try user.file.apply(user: user.value, context: contextName, to: &config) }
        config.namespace = context.value["namespace"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        return config
    }

    func cluster(_ cluster: JSONValue, name clusterName: String) throws -> KubeConfig {
        guard let server = cluster["server"]?.stringValue, !server.isEmpty else {
            throw KubeConfigError("kubeconfig \(path): cluster \"\(clusterName)\" has no server")
        }
        var tls = TLSOptions()
        tls.verifyPeer = !(cluster["insecure-skip-tls-verify"]?.boolValue ?? false)
        tls.serverName = cluster["tls-server-name"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        if let data = cluster["certificate-authority-data"]?.stringValue, !data.isEmpty {
            tls.caPEM = try decodeBase64(data, field: "clusters[\(clusterName)].certificate-authority-data")
        } else if let file = cluster["certificate-authority"]?.stringValue, !file.isEmpty {
            tls.caPEM = try readFile(file, field: "clusters[\(clusterName)].certificate-authority")
        }
        var config = KubeConfig(server: server, tls: tls)
        if let proxy = cluster["proxy-url"]?.stringValue, !proxy.isEmpty {
            guard let scheme = URL(string: proxy)?.scheme, ["http", "https", "socks5"].contains(scheme) else {
                throw KubeConfigError("kubeconfig \(path): clusters[\(clusterName)].proxy-url \"\(proxy)\" must be an http://, https:// or socks5:// URL")
            }
            config.proxyURL = proxy
        }
        return config
    }

    func apply(user: JSONValue, context contextName: String, to config: inout KubeConfig) throws {
        let field = "users of context \"\(contextName)\""
        for unsupported in ["auth-provider", "username", "password"] where user[unsupported] != nil {
            throw KubeConfigError("kubeconfig \(path): \(field) uses \(unsupported), which taskpod does not support; use token, tokenFile, client certificates or an exec plugin")
        }
        if let data = user["client-certificate-data"]?.stringValue, !data.isEmpty {
            config.tls.clientCertificatePEM = try decodeBase64(data, field: "\(field).client-certificate-data")
        } else if let file = user["client-certificate"]?.stringValue, !file.isEmpty {
            config.tls.clientCertificatePEM = try readFile(file, field: "\(field).client-certificate")
        }
        if let data = user["client-key-data"]?.stringValue, !data.isEmpty {
            config.tls.clientKeyPEM = try decodeBase64(data, field: "\(field).client-key-data")
        } else if let file = user["client-key"]?.stringValue, !file.isEmpty {
            config.tls.clientKeyPEM = try readFile(file, field: "\(field).client-key")
        }
        if (config.tls.clientCertificatePEM == nil) != (config.tls.clientKeyPEM == nil) {
            throw KubeConfigError("kubeconfig \(path): \(field) has a client certificate without its key (or a key without its certificate); set both client-certificate(-data) and client-key(-data)")
        }
        if config.tls.clientCertificatePEM != nil { config.credentials = .clientCertificate }
        if let token = user["token"]?.stringValue, !token.isEmpty {
            config.credentials = .token(token)
        } else if let file = user["tokenFile"]?.stringValue, !file.isEmpty {
            config.credentials = .tokenFile(absolute(file))
        } else if let exec = user["exec"], exec.objectValue != nil {
            config.credentials = .exec(try ExecPlugin(exec, kubeconfig: self, field: "\(field).exec", server: config.server, tls: config.tls))
        }
    }

    func absolute(_ file: String) -> String {
        file.hasPrefix("/") ? file : directory + "/" + file
    }

    private func readFile(_ file: String, field: String) throws -> [UInt8] {
        let full = absolute(file)
        guard let data = FileManager.default.contents(atPath: full) else {
            throw KubeConfigError("kubeconfig \(path): \(field) names \(full), which cannot be read")
        }
        return Array(data)
    }

    private func decodeBase64(_ text: String, field: String) throws -> [UInt8] {
        let cleaned = text.filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: cleaned) else {
            throw KubeConfigError("kubeconfig \(path): \(field) is not valid base64")
        }
        return Array(data)
    }
}
