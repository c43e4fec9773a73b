import Foundation
import TestSupport
import Testing

/// The `taskpod` and `kubesim` executables as a user runs them: what they print, what they refuse, what they link.
@Suite("The taskpod command line")
struct CommandLineTests {
    static func run(_ binary: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> ExternalTools.Output {
        let directory = try TemporaryDirectory(prefix: "cli")
        defer { directory.remove() }
        return try await ExternalTools.run(
            try BuiltBinary.locate(binary), arguments, in: directory.path, environment: environment, timeout: .seconds(120))
    }

    @Test("a password in $TASKPOD_DB never shows in --help or in an error")
    func databasePasswordHidden() async throws {
        let environment = ["TASKPOD_DB": "postgres://taskpod:Sup3rSecretPassw0rd@127.0.0.1:1/taskpod?sslmode=disable"]
        for arguments in [["--help"], ["controller", "--help"], ["submit", "--help"], ["tasks", "list", "--help"]] {
            let help = try await Self.run(BuiltBinary.taskpod, arguments, environment: environment)
            #expect(help.succeeded, "\(arguments): \(help.output)")
            #expect(!help.output.contains("Sup3rSecretPassw0rd"), "\(arguments) printed the password:\n\(help.output)")
        }
        let help = try await Self.run(BuiltBinary.taskpod, ["controller", "--help"], environment: environment)
        #expect(help.output.contains("$TASKPOD_DB"), "the help should say where the default comes from:\n\(help.output)")
        // A store that cannot be reached: the error names the server, never the password.
        let failed = try await Self.run(BuiltBinary.taskpod, ["tasks", "list"], environment: environment)
        #expect(!failed.succeeded)
        #expect(failed.output.contains("127.0.0.1"), "\(failed.output)")
        #expect(!failed.output.contains("Sup3rSecretPassw0rd"), "the error printed the password:\n\(failed.output)")
    }

    @Test("controller --listen on a non-loopback address without --api-token-file is refused before anything starts")
    func exposedAPIRefused() async throws {
        let result = try await Self.run(BuiltBinary.taskpod, ["controller", "--listen", "0.0.0.0:18080", "--db", "x.db"])
        #expect(result.status == .exited(64), "\(result.status): \(result.output)")
        #expect(result.output.contains("--api-token-file") && result.output.contains("--api-insecure"), "\(result.output)")
        let orphan = try await Self.run(BuiltBinary.taskpod, ["controller", "--api-insecure", "--db", "x.db"])
        #expect(orphan.status == .exited(64), "\(orphan.output)")
    }

    @Test("an unknown --log-level is refused, naming the allowed levels", arguments: [BuiltBinary.taskpod, BuiltBinary.kubesim])
    func unknownLogLevel(binary: String) async throws {
        let arguments = binary == BuiltBinary.taskpod ? ["tasks", "list", "--log-level", "loud"] : ["--log-level", "loud"]
        let result = try await Self.run(binary, arguments)
        #expect(result.status == .exited(64), "\(result.status): \(result.output)")
        #expect(result.output.contains("loud"), "\(result.output)")
        for level in ["trace", "debug", "info", "notice", "warning", "error", "critical"] {
            #expect(result.output.contains(level), "the error does not name \(level):\n\(result.output)")
        }
    }

    @Test("the taskpod binary holds no simulator code; kubesim does (so the check can fail)")
    func noSimulatorInTaskpod() async throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../scripts/check-binary.sh")
            .standardizedFileURL.path
        let directory = try TemporaryDirectory(prefix: "symbols")
        defer { directory.remove() }
        let taskpod = try await ExternalTools.run(script, [try BuiltBinary.locate(BuiltBinary.taskpod)], in: directory.path)
        #expect(taskpod.succeeded, "\(taskpod.output)")
        let kubesim = try await ExternalTools.run(script, [try BuiltBinary.locate(BuiltBinary.kubesim)], in: directory.path)
        #expect(kubesim.status == .exited(1), "\(kubesim.status): \(kubesim.output)")
        #expect(kubesim.output.contains("KubeSim module"), "\(kubesim.output)")
    }

    @Test("taskpod demo starts kubesim beside it and runs every task as expected")
    func demo() async throws {
        let result = try await Self.run(BuiltBinary.taskpod, ["demo", "--timeout", "90"])
        #expect(result.succeeded, "\(result.output)")
        #expect(result.output.contains("every task ended as expected"), "\(result.output)")
        #expect(result.output.contains("KubeSim (exec mode) at http://127.0.0.1:"), "\(result.output)")
        #expect(result.output.contains("HTTP API at http://127.0.0.1:"), "\(result.output)")
    }
}
