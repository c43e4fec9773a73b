import Foundation
import TestSupport
import Testing

/// `taskpod config defaults|check`, `controller --config`, and `--log-format json` as a user runs them.
@Suite("taskpod config and --log-format")
struct ConfigCommandTests {
    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> ExternalTools.Output {
        try await CommandLineTests.run(BuiltBinary.taskpod, arguments, environment: environment)
    }

    @Test("what config defaults prints passes config check")
    func defaultsPassCheck() async throws {
        let directory = try TemporaryDirectory(prefix: "config")
        defer { directory.remove() }
        let defaults = try await Self.run(["config", "defaults"])
        #expect(defaults.succeeded, "\(defaults.output)")
        #expect(defaults.output.contains("\nparallelism: 256\n"), "\(defaults.output)")
        try defaults.output.write(toFile: directory.file("taskpod.yaml"), atomically: true, encoding: .utf8)
        let check = try await Self.run(["config", "check", directory.file("taskpod.yaml")])
        #expect(check.succeeded, "\(check.output)")
        #expect(check.output == "ok\n", "\(check.output)")
    }

    @Test("config check lists every problem with line and column and exits 1; the db password is never printed")
    func checkProblems() async throws {
        let directory = try TemporaryDirectory(prefix: "config")
        defer { directory.remove() }
        let path = directory.file("bad.yaml")
        try "namespace: jobs\ndb: [\"postgres://u:Sup3rSecret@h/db\"]\nparalelism: 4\nmax_log_bytes: big\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let check = try await Self.run(["config", "check", path])
        #expect(check.status == .exited(1), "\(check.status): \(check.output)")
        #expect(check.output.contains("\(path):3:1: unknown key \"paralelism\"; did you mean \"parallelism\"?"), "\(check.output)")
        #expect(check.output.contains("\(path):4:1: max_log_bytes must be an integer, not string \"big\""), "\(check.output)")
        #expect(check.output.contains("\(path):2:1: db must be a string, not a list"), "\(check.output)")
        #expect(!check.output.contains("Sup3rSecret"), "\(check.output)")

        // The controller refuses the same file before it connects anywhere, a flag's bad value named by its flag.
        let controller = try await Self.run(["controller", "--config", path, "--parallelism", "0"])
        #expect(controller.status == .exited(1), "\(controller.status): \(controller.output)")
        #expect(controller.output.contains("\(path):3:1: unknown key \"paralelism\""), "\(controller.output)")
        #expect(controller.output.contains("--parallelism: parallelism must be at least 1, not 0"), "\(controller.output)")
        #expect(!controller.output.contains("Sup3rSecret"), "\(controller.output)")
    }

    @Test("a TASKPOD_ variable over the file and a flag over the variable reach the controller")
    func precedence() async throws {
        let directory = try TemporaryDirectory(prefix: "config")
        defer { directory.remove() }
        let path = directory.file("taskpod.yaml")
        try "heartbeat_interval: 10\nheartbeat_timeout: 60\n".write(toFile: path, atomically: true, encoding: .utf8)
        // The variable breaks the file's pair; the flag mends it again.
        let broken = try await Self.run(["controller", "--config", path], environment: ["TASKPOD_HEARTBEAT_TIMEOUT": "20"])
        #expect(broken.output.contains("$TASKPOD_HEARTBEAT_TIMEOUT: heartbeat_timeout must be at least 3 × heartbeat_interval (30 s)"),
                "\(broken.output)")
        let mended = try await Self.run(
            ["controller", "--config", path, "--heartbeat-timeout", "30", "--kubeconfig", directory.file("none")],
            environment: ["TASKPOD_HEARTBEAT_TIMEOUT": "20"])
        #expect(!mended.output.contains("heartbeat_timeout"), "\(mended.output)")
        #expect(mended.output.contains("cannot read kubeconfig"), "\(mended.output)")
    }

    @Test("--log-format json writes one JSON object per line, with time, level, label, message and source")
    func jsonLogs() async throws {
        let directory = try TemporaryDirectory(prefix: "config")
        defer { directory.remove() }
        let result = try await Self.run(
            ["controller", "--log-format", "json", "--db", directory.file("t.sqlite"), "--kubeconfig", directory.file("none")],
            environment: ["TASKPOD_PARALELISM": "3"])
        let lines = result.output.split(separator: "\n").filter { !$0.hasPrefix("Error:") }
        #expect(!lines.isEmpty, "\(result.output)")
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not a JSON object: \(line)")
            for field in ["time", "level", "label", "message", "source"] {
                #expect(object?[field] is String, "no \(field) in \(line)")
            }
            let time = object?["time"] as? String ?? ""
            #expect((try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(time)) != nil, "\(time)")
            #expect(time.hasSuffix("Z"), "\(time)")
        }
        #expect(result.output.contains("did you mean TASKPOD_PARALLELISM?"), "\(result.output)")
    }

    @Test("every controller flag shows its setting's help, and --config is offered")
    func controllerHelp() async throws {
        let help = try await Self.run(["controller", "--help"])
        #expect(help.succeeded, "\(help.output)")
        #expect(!help.output.contains("(no setting"), "\(help.output)")
        for flag in ["--config", "--all-namespaces", "--no-retry-lost-pods", "--leader-elect", "--log-format"] {
            #expect(help.output.contains(flag), "no \(flag) in\n\(help.output)")
        }
    }
}
