import Foundation
import KubeClient
import KubeSimTestKit
import TestSupport
import Testing

@Suite("KubeConfig: KUBECONFIG merging, exec plugins, proxies")
struct KubeConfigMergeTests {
    func write(_ text: String, _ path: String, executable: Bool = false) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path) }
    }

    @Test("several KUBECONFIG files merge; the first to define a name or current-context wins")
    func merge() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try write("""
            current-context: a
            contexts: [{name: a, context: {cluster: one, user: u, namespace: first}}]
            clusters: [{name: one, cluster: {server: "https://one:6443"}}]
            """, directory.file("first"))
        try write("""
            current-context: b
            contexts: [{name: a, context: {cluster: two}}, {name: b, context: {cluster: two, user: u}}]
            clusters: [{name: one, cluster: {server: "https://ignored"}}, {name: two, cluster: {server: "https://two:6443"}}]
            users: [{name: u, user: {tokenFile: token}}]
            """, directory.file("second"))
        let environment = ["KUBECONFIG": "\(directory.file("missing")):\(directory.file("first")):\(directory.file("second"))"]
        let config = try KubeConfig.load(environment: environment)
        #expect(config.server == "https://one:6443")
        #expect(config.namespace == "first")
        guard case .tokenFile(let path) = config.credentials else {
            Issue.record("expected the user from the second file")
            return
        }
        #expect(path == directory.file("token"), "relative to the file that defined the user")
        let other = try KubeConfig.load(context: "b", environment: environment)
        #expect(other.server == "https://two:6443")
    }

    @Test("exec plugins: parsed, run with KUBERNETES_EXEC_INFO, and their errors never show the output")
    func execPlugin() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try write("""
            #!/bin/sh
            case "$KUBERNETES_EXEC_INFO" in *'"interactive":false'*) ;; *) echo "bad exec info" >&2; exit 9;; esac
            echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"plugin-token-'"$SUFFIX"'","expirationTimestamp":"2099-01-01T00:00:00Z"}}'
            """, directory.file("plugin.sh"), executable: true)
        try write("""
            current-context: c
            contexts: [{name: c, context: {cluster: k, user: u}}]
            clusters: [{name: k, cluster: {server: "https://k:6443", proxy-url: "http://proxy:3128"}}]
            users:
            - name: u
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: ./plugin.sh
                  args: [get-token]
                  env: [{name: SUFFIX, value: abc}]
                  interactiveMode: Never
                  provideClusterInfo: true
            """, directory.file("config"))
        let config = try KubeConfig.load(path: directory.file("config"))
        #expect(config.proxyURL == "http://proxy:3128")
        guard case .exec(let plugin) = config.credentials else {
            Issue.record("expected an exec plugin")
            return
        }
        #expect(plugin.command == directory.file("./plugin.sh"))
        #expect(plugin.args == ["get-token"])
        #expect(plugin.env == ["SUFFIX": "abc"])
        #expect(!config.description.contains("plugin-token"))

        // A plugin that fails: the error names the plugin and its stderr, not its stdout.
        try write("#!/bin/sh\necho '{\"secret\":\"s3cr3t\"}'\necho 'login required' >&2\nexit 4\n", directory.file("plugin.sh"), executable: true)
        // (run through the client in KubeClientAuthTests; here, the v1 interactiveMode rule)
        try write("""
            current-context: c
            contexts: [{name: c, context: {cluster: k, user: u}}]
            clusters: [{name: k, cluster: {server: "https://k:6443"}}]
            users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: x}}}]
            """, directory.file("v1"))
        let error = #expect(throws: KubeConfigError.self) { try KubeConfig.load(path: directory.file("v1")) }
        #expect(error?.message.contains("interactiveMode is required") == true)
    }

    @Test("a proxy-url that is not a URL is refused naming the field")
    func badProxy() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try write("""
            current-context: c
            contexts: [{name: c, context: {cluster: k}}]
            clusters: [{name: k, cluster: {server: "https://k:6443", proxy-url: "not a url"}}]
            """, directory.file("config"))
        let error = #expect(throws: KubeConfigError.self) { try KubeConfig.load(path: directory.file("config")) }
        #expect(error?.message.contains("proxy-url") == true)
    }
}
