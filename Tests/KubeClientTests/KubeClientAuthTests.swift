import Foundation
import KubeClient
import KubeSimTestKit
import TestSupport
import Testing

@Suite("KubeClient credentials")
struct KubeClientAuthTests {
    @Test("a failing exec plugin's error names the plugin and its stderr, never its stdout")
    func failingPlugin() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let plugin = directory.file("plugin.sh")
        try "#!/bin/sh\necho '{\"token\":\"s3cr3t\"}'\necho 'login required' >&2\nexit 4\n".write(toFile: plugin, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: plugin)
        try """
            current-context: c
            contexts: [{name: c, context: {cluster: k, user: u}}]
            clusters: [{name: k, cluster: {server: "http://127.0.0.1:1"}}]
            users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: \(plugin)}}}]
            """.write(toFile: directory.file("config"), atomically: true, encoding: .utf8)
        let client = KubeClient(config: try KubeConfig.load(path: directory.file("config")), logger: .test())
        let error = await #expect(throws: KubeConfigError.self) { try await client.listPods(namespace: "default") }
        #expect(error?.message.contains("exited with status 4") == true)
        #expect(error?.message.contains("login required") == true)
        #expect(error?.message.contains("s3cr3t") == false)
    }

    @Test("a token in the config never shows in an error")
    func tokenNotInErrors() async throws {
        var retry = KubeClient.RetryPolicy()
        retry.maxAttempts = 1
        let client = KubeClient(config: KubeConfig(server: "http://127.0.0.1:1", credentials: .token("s3cr3t-token")), logger: .test(), retry: retry)
        do {
            _ = try await client.listPods(namespace: "default")
            Issue.record("expected a connection error")
        } catch {
            #expect(!"\(error)".contains("s3cr3t"))
        }
    }
}
