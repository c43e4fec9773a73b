import Foundation
import KubeClient
import KubeSimTestKit
import TestSupport
import Testing

@Suite("KubeConfig")
struct KubeConfigTests {
    static let caPEM = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"

    func write(_ text: String, in directory: TemporaryDirectory, name: String = "config") throws -> String {
        let path = directory.file(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("loads the current context: server, namespace, token, inline CA")
    func currentContext() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let ca = Data(KubeConfigTests.caPEM.utf8).base64EncodedString()
        let path = try write("""
            apiVersion: v1
            kind: Config
            current-context: prod
            clusters:
            - name: prod-cluster
              cluster:
                server: https://10.0.0.1:6443/
                certificate-authority-data: \(ca)
            - name: other
              cluster:
                server: https://other:6443
                insecure-skip-tls-verify: true
            contexts:
            - name: prod
              context: {cluster: prod-cluster, user: admin, namespace: jobs}
            - name: dev
              context: {cluster: other, user: dev}
            users:
            - name: admin
              user:
                token: s3cr3t-token
            - name: dev
              user:
                tokenFile: dev-token
            """, in: directory)
        let config = try KubeConfig.load(path: path)
        #expect(config.server == "https://10.0.0.1:6443")
        #expect(config.namespace == "jobs")
        #expect(config.tls.caPEM == Array(KubeConfigTests.caPEM.utf8))
        #expect(config.tls.verifyPeer)
        guard case .token(let token) = config.credentials else {
            Issue.record("expected a token, got \(config.credentials)")
            return
        }
        #expect(token == "s3cr3t-token")
        #expect(!config.description.contains("s3cr3t"), "the description must not show the token")

        let dev = try KubeConfig.load(path: path, context: "dev")
        #expect(dev.server == "https://other:6443")
        #expect(dev.namespace == "default")
        #expect(!dev.tls.verifyPeer)
        guard case .tokenFile(let file) = dev.credentials else {
            Issue.record("expected a token file")
            return
        }
        #expect(file == directory.file("dev-token"), "relative paths resolve against the kubeconfig's folder")
    }

    @Test("reads CA and client certificate files")
    func files() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try write(KubeConfigTests.caPEM, in: directory, name: "ca.crt")
        _ = try write("CERT", in: directory, name: "client.crt")
        _ = try write("KEY", in: directory, name: "client.key")
        let path = try write("""
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k:443", certificate-authority: ca.crt}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            users: [{name: u, user: {client-certificate: client.crt, client-key: \(directory.file("client.key"))}}]
            """, in: directory)
        let config = try KubeConfig.load(path: path)
        #expect(config.tls.caPEM == Array(KubeConfigTests.caPEM.utf8))
        #expect(config.tls.clientCertificatePEM == Array("CERT".utf8))
        #expect(config.tls.clientKeyPEM == Array("KEY".utf8))
        guard case .clientCertificate = config.credentials else {
            Issue.record("expected client certificate credentials")
            return
        }
    }

    @Test("errors name the file and the field", arguments: [
        ("clusters: []\ncontexts: []\nusers: []\n", "no current-context"),
        ("current-context: x\ncontexts: [{name: y, context: {cluster: a}}]\n", "no context named \"x\""),
        ("current-context: x\ncontexts: [{name: x, context: {cluster: a}}]\nclusters: []\n", "no cluster named \"a\""),
        ("current-context: x\ncontexts: [{name: x, context: {cluster: a, user: u}}]\nclusters: [{name: a, cluster: {server: 'https://a'}}]\nusers: [{name: u, user: {auth-provider: {name: gcp}}}]\n", "auth-provider"),
        ("current-context: x\ncontexts: [{name: x, context: {cluster: a}}]\nclusters: [{name: a, cluster: {}}]\n", "has no server"),
        ("current-context: x\ncontexts: [{name: x, context: {cluster: a, user: u}}]\nclusters: [{name: a, cluster: {server: 'https://a'}}]\nusers: [{name: u, user: {client-certificate-data: Zm9v}}]\n", "without its key"),
        ("current-context: [unclosed\n", "not valid YAML"),
    ])
    func errors(text: String, fragment: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try write(text, in: directory)
        let error = #expect(throws: KubeConfigError.self) { try KubeConfig.load(path: path) }
        #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains(path) == true, "names the file")
    }

    @Test("a missing file says how to point at one")
    func missing() {
        let error = #expect(throws: KubeConfigError.self) { try KubeConfig.load(path: "/nonexistent/kubeconfig") }
        #expect(error?.message.contains("--kubeconfig") == true)
    }

    @Test("in-cluster: service host, token file, CA and namespace")
    func inCluster() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try write("token-1", in: directory, name: "token")
        _ = try write(KubeConfigTests.caPEM, in: directory, name: "ca.crt")
        _ = try write("workers\n", in: directory, name: "namespace")
        let config = try KubeConfig.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"],
            accountDirectory: directory.path
        )
        #expect(config.server == "https://10.96.0.1:443")
        #expect(config.namespace == "workers")
        #expect(config.tls.caFile == directory.file("ca.crt"))
        guard case .tokenFile(let file) = config.credentials else {
            Issue.record("expected a token file")
            return
        }
        #expect(file == directory.file("token"))
        #expect(throws: KubeConfigError.self) { try KubeConfig.inCluster(environment: [:], accountDirectory: directory.path) }
    }

    @Test("in-cluster: TASKPOD_SERVICEACCOUNT_DIR points tests at another service account folder")
    func inClusterFolderFromTheEnvironment() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try write("token-2", in: directory, name: "token")
        _ = try write("taskpod", in: directory, name: "namespace")
        let config = try KubeConfig.inCluster(environment: [
            "KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "6443",
            "TASKPOD_SERVICEACCOUNT_DIR": directory.path,
        ])
        #expect(config.server == "https://127.0.0.1:6443")
        #expect(config.namespace == "taskpod")
        #expect(config.tls.caFile == nil)
        guard case .tokenFile(let file) = config.credentials else {
            Issue.record("expected a token file")
            return
        }
        #expect(file == directory.file("token"))
        let error = #expect(throws: KubeConfigError.self) {
            try KubeConfig.inCluster(environment: [
                "KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "6443",
                "TASKPOD_SERVICEACCOUNT_DIR": directory.path + "/missing",
            ])
        }
        #expect(error?.message.contains(directory.path + "/missing/token") == true)
    }
}
