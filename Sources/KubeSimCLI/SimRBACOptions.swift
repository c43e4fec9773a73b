import ArgumentParser
import Foundation
import KubeSim

/// RBAC and service-account flags of `kubesim`.
struct SimRBACOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Enforce the Roles, ClusterRoles, RoleBindings and ClusterRoleBindings of this YAML stream (a rendered chart, "
            + "kubectl kustomize output; other kinds are ignored) on service-account requests.", valueName: "file"))
    var rbac: String?

    @Option(help: ArgumentHelp(
        "The namespace of --rbac's Roles and RoleBindings that name none (as kubectl apply -n).", valueName: "ns"))
    var rbacNamespace: String = "default"

    @Option(name: .customLong("service-account"), help: ArgumentHelp(
        "Accept a bearer token for a service account: NAMESPACE/NAME=TOKEN, or NAMESPACE/NAME to mint a token "
            + "(repeatable).", valueName: "ns/name[=token]"))
    var serviceAccounts: [String] = []

    @Option(help: ArgumentHelp(
        "With --tls, write the first --service-account's token, the CA (ca.crt) and its namespace into this folder, "
            + "as the kubelet mounts /var/run/secrets/kubernetes.io/serviceaccount, and print "
            + "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT.", valueName: "dir"))
    var writeServiceaccountDir: String?

    /// The accounts by token, in the order given (minted tokens filled in).
    func accounts() throws -> [(token: String, account: KubeSimAuthentication.ServiceAccount)] {
        try serviceAccounts.map { text in
            let (reference, token) = text.firstIndex(of: "=").map {
                (String(text[..<$0]), String(text[text.index(after: $0)...]))
            } ?? (text, Self.mintToken())
            let parts = reference.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, !token.isEmpty else {
                throw ValidationError(
                    "--service-account \(text.split(separator: "=").first ?? "") is not NAMESPACE/NAME[=TOKEN]")
            }
            return (token, KubeSimAuthentication.ServiceAccount(namespace: String(parts[0]), name: String(parts[1])))
        }
    }

    /// 32 random bytes, hex.
    static func mintToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    func apply(
        to configuration: inout KubeSimConfiguration, accounts: [(token: String, account: KubeSimAuthentication.ServiceAccount)]
    ) throws {
        for (token, account) in accounts { configuration.authentication.serviceAccounts[token] = account }
        if writeServiceaccountDir != nil {
            guard configuration.tls else { throw ValidationError("--write-serviceaccount-dir needs --tls") }
            guard !accounts.isEmpty else { throw ValidationError("--write-serviceaccount-dir needs --service-account") }
        }
        guard let rbac else { return }
        let text: String
        do {
            text = try String(contentsOfFile: rbac, encoding: .utf8)
        } catch {
            throw ValidationError("--rbac \(rbac) cannot be read: \(error.localizedDescription)")
        }
        do {
            configuration.rbac = try KubeSimRBAC(yaml: text, defaultNamespace: rbacNamespace)
        } catch {
            throw ValidationError("--rbac \(rbac): \(error.message)")
        }
    }

    /// Writes `token`, `ca.crt` and `namespace` of `account` into the folder.
    static func writeServiceAccountDirectory(
        _ directory: String, token: String, account: KubeSimAuthentication.ServiceAccount, certificateAuthority: String
    ) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try token.write(toFile: directory + "/token", atomically: true, encoding: .utf8)
        try certificateAuthority.write(toFile: directory + "/ca.crt", atomically: true, encoding: .utf8)
        try account.namespace.write(toFile: directory + "/namespace", atomically: true, encoding: .utf8)
    }
}
