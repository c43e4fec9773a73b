import Foundation
import TestSupport
import Testing

/// `kubesim --service-account`, `--write-serviceaccount-dir` and `--rbac` as a user runs them.
@Suite("kubesim service accounts and RBAC flags")
struct KubeSimServiceAccountTests {
    @Test("--write-serviceaccount-dir writes a minted token, the CA and the namespace, and prints the service address")
    func writesTheServiceAccountFolder() async throws {
        let directory = try TemporaryDirectory(prefix: "kubesim-sa")
        defer { directory.remove() }
        let folder = directory.path + "/serviceaccount"
        let sim = try ChildProcess.start(
            name: "kubesim", executable: try BuiltBinary.locate(BuiltBinary.kubesim),
            arguments: ["--tls", "--service-account", "taskpod/taskpod", "--write-serviceaccount-dir", folder],
            outputPath: directory.path + "/sim.log")
        try await sim.stoppingAfter(grace: .seconds(5)) {
            _ = try await sim.waitForOutput(containing: "KubeSim listening on https://", timeout: .seconds(60))
            let output = sim.output()
            let address = try #require(output.split(separator: "\n").first { $0.hasPrefix("KUBERNETES_SERVICE_HOST=") })
            #expect(address.hasPrefix("KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT="), "\(address)")
            let token = try String(contentsOfFile: folder + "/token", encoding: .utf8)
            #expect(token.count == 64 && token.allSatisfy(\.isHexDigit), "a minted token: \(token.count) characters")
            #expect(!output.contains(token), "the token must not be printed")
            #expect(try String(contentsOfFile: folder + "/namespace", encoding: .utf8) == "taskpod")
            #expect(try String(contentsOfFile: folder + "/ca.crt", encoding: .utf8).hasPrefix("-----BEGIN CERTIFICATE-----"))
        }
    }

    @Test("flags that cannot work together are refused, naming the fix", arguments: [
        (["--service-account", "taskpod/taskpod", "--write-serviceaccount-dir", "x"], "--write-serviceaccount-dir needs --tls"),
        (["--tls", "--write-serviceaccount-dir", "x"], "--write-serviceaccount-dir needs --service-account"),
        (["--service-account", "taskpod=t0ken"], "is not NAMESPACE/NAME[=TOKEN]"),
        (["--rbac", "missing.yaml"], "--rbac missing.yaml cannot be read"),
    ])
    func refusals(arguments: [String], message: String) async throws {
        let directory = try TemporaryDirectory(prefix: "kubesim-flags")
        defer { directory.remove() }
        let result = try await ExternalTools.run(
            try BuiltBinary.locate(BuiltBinary.kubesim), arguments, in: directory.path, timeout: .seconds(60))
        #expect(!result.succeeded)
        #expect(result.output.contains(message), "\(result.output)")
        #expect(!result.output.contains("t0ken"), "the token must not be printed: \(result.output)")
    }
}
