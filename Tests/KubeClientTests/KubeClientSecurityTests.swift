import Foundation
import JSON
import KubeClient
import KubeSim
import Logging
import KubeSimTestKit
import TestSupport
import Testing
import YAML

@Suite("KubeClient over HTTPS with every kind of credential")
struct KubeClientSecurityTests {
    static func pod(_ name: String) -> JSONValue {
        ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name)],
         "spec": ["restartPolicy": "Never", "containers": [["name": "base", "image": "busybox"]]]]
    }

    static func client(_ sim: RunningSim, user: KubeSim.KubeconfigUser, file: String = "user-kubeconfig") async throws -> KubeClient {
        let path = sim.directory.file(file)
        try await sim.sim.kubeconfig(namespace: "default", user: user).write(toFile: path, atomically: true, encoding: .utf8)
        var retry = KubeClient.RetryPolicy()
        retry.maxAttempts = 2
        retry.initialBackoff = .milliseconds(10)
        return KubeClient(config: try KubeConfig.load(path: path), logger: .test(), retry: retry)
    }

    @Test("client certificates: accepted over HTTPS (CA verified); anonymous requests get 401")
    func clientCertificates() async throws {
        var configuration = KubeSimConfiguration(mode: .scripted)
        configuration.tls = true
        configuration.authentication.clientCertificates = true
        try await withKubeSim(configuration) { sim in
            #expect(sim.client.config.server.hasPrefix("https://"))
            let client = try await Self.client(sim, user: .clientCertificate)
            guard case .clientCertificate = client.config.credentials else {
                Issue.record("expected client-certificate credentials, got \(client.config.credentials)")
                return
            }
            _ = try await client.createPod(Self.pod("cert"))
            #expect(try await client.pod(name: "cert").name == "cert")
            let anonymous = try await Self.client(sim, user: .anonymous, file: "anonymous")
            let refused = await #expect(throws: KubeError.self) { try await anonymous.listPods(namespace: "default") }
            #expect(refused?.code == .unauthorized)
        }
    }

    @Test("TLS verification is on: a server whose CA is not trusted is refused")
    func untrustedServer() async throws {
        var configuration = KubeSimConfiguration(mode: .scripted)
        configuration.tls = true
        try await withKubeSim(configuration) { sim in
            var config = sim.client.config
            config.tls.caPEM = nil
            var retry = KubeClient.RetryPolicy()
            retry.maxAttempts = 1
            let client = KubeClient(config: config, logger: .test(), retry: retry)
            let error = await #expect(throws: TransportError.self) { try await client.listPods(namespace: "default") }
            #expect(error?.code == .tls, "\(error.map { "\($0)" } ?? "")")
        }
    }

    @Test("bearer tokens: the right one is accepted, a wrong one is 401 and never shown")
    func tokens() async throws {
        var configuration = KubeSimConfiguration(mode: .scripted)
        configuration.tls = true
        configuration.authentication.tokens = ["good-token-123"]
        try await withKubeSim(configuration) { sim in
            let good = try await Self.client(sim, user: .token("good-token-123"))
            _ = try await good.createPod(Self.pod("token"))
            let bad = try await Self.client(sim, user: .token("wrong-token-456"), file: "bad")
            do {
                _ = try await bad.listPods(namespace: "default")
                Issue.record("a wrong token was accepted")
            } catch let error as KubeError {
                #expect(error.code == .unauthorized)
                #expect(!"\(error)".contains("wrong-token-456"))
            }
        }
    }

    /// Rewrites a token file as the kubelet rotates it, dated 10 s after the old one: the simulator re-reads the
    /// file when its modification time or size changes, so it takes the new token at its very next request, without
    /// waiting for the clock to tick past the file system's timestamp granularity.
    static func rotate(_ path: String, to token: String) throws {
        let old = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date ?? Date()
        try token.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.modificationDate: old.addingTimeInterval(10)], ofItemAtPath: path)
    }

    @Test("a rotated token file is read again after a 401")
    func rotatingTokenFile() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let tokenPath = directory.file("token")
        try "first-token".write(toFile: tokenPath, atomically: true, encoding: .utf8)
        var configuration = KubeSimConfiguration(mode: .scripted)
        configuration.tls = true
        configuration.authentication.tokenFile = tokenPath
        try await withKubeSim(configuration) { sim in
            let client = try await Self.client(sim, user: .tokenFile(tokenPath))
            _ = try await client.listPods(namespace: "default")
            // The kubelet rotates the token: the server accepts only the new one; the client still caches the old.
            try Self.rotate(tokenPath, to: "second-token")
            _ = try await client.listPods(namespace: "default")
            let unauthorized = await sim.sim.auditEntries().filter { $0["code"] == 401 }
            #expect(unauthorized.count == 1, "one 401, then the fresh token")
        }
    }

    @Test("an exec plugin's token is cached, and the plugin runs again after a 401")
    func execPlugin() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let tokenPath = directory.file("token")
        let runs = directory.file("runs")
        try "exec-token-1".write(toFile: tokenPath, atomically: true, encoding: .utf8)
        let plugin = directory.file("plugin.sh")
        try """
            #!/bin/sh
            echo run >> \(runs)
            printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"2099-01-01T00:00:00Z"}}' "$(cat \(tokenPath))"
            """.write(toFile: plugin, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: plugin)
        var configuration = KubeSimConfiguration(mode: .scripted)
        configuration.tls = true
        configuration.authentication.tokenFile = tokenPath
        try await withKubeSim(configuration) { sim in
            // The sim's kubeconfig, with its user replaced by the plugin.
            let base = try await sim.sim.kubeconfig(namespace: "default", user: .anonymous)
            var document = try YAMLDocument(base)
            document.setUser(["exec": ["apiVersion": "client.authentication.k8s.io/v1", "command": .string(plugin), "interactiveMode": "Never"]])
            let path = sim.directory.file("exec-kubeconfig")
            try document.text.write(toFile: path, atomically: true, encoding: .utf8)
            let client = KubeClient(config: try KubeConfig.load(path: path), logger: .test())
            for index in 0..<3 { _ = try await client.createPod(Self.pod("e\(index)")) }
            #expect(try String(contentsOfFile: runs, encoding: .utf8).split(separator: "\n").count == 1, "cached")
            try Self.rotate(tokenPath, to: "exec-token-2")
            _ = try await client.listPods(namespace: "default")
            #expect(try String(contentsOfFile: runs, encoding: .utf8).split(separator: "\n").count == 2, "run again after the 401")
        }
    }
}

/// A kubeconfig as JSON, to swap its user.
struct YAMLDocument {
    var value: JSONValue

    init(_ text: String) throws {
        value = try YAML.parse(text)
    }

    mutating func setUser(_ user: JSONValue) {
        value["users"] = [["name": "kubesim", "user": user]]
        if var contexts = value["contexts"]?.arrayValue {
            for index in contexts.indices { contexts[index][path: "context", "user"] = "kubesim" }
            value["contexts"] = .array(contexts)
        }
    }

    /// JSON is YAML: kubeconfig loaders read it as it is.
    var text: String { value.prettyJSONString }
}
