import Foundation
import TestSupport
import Testing

/// `taskpod controller --listen` and the commands that talk to it with `--server` instead of `--db`.
@Suite("The CLI over the HTTP API")
struct ServerFlagTests {
    @Test("submit, logs, tasks list/show and cancel work with --server and --token-file, without --db")
    func commandsOverTheAPI() async throws {
        let directory = try TemporaryDirectory(prefix: "cli-api")
        defer { directory.remove() }
        let kubeconfig = directory.file("kubeconfig.yaml")
        let sim = try ChildProcess.start(
            name: "kubesim", executable: try BuiltBinary.locate(BuiltBinary.kubesim),
            arguments: ["--port", "0", "--mode", "exec", "--write-kubeconfig", kubeconfig], outputPath: directory.file("sim.log"))
        defer { sim.kill() }
        #expect(await eventually(timeout: .seconds(30)) { FileManager.default.fileExists(atPath: kubeconfig) })
        let tokens = directory.file("tokens")
        try "cli-token-42\n".write(toFile: tokens, atomically: true, encoding: .utf8)
        let controller = try ChildProcess.start(
            name: "taskpod", executable: try BuiltBinary.locate(BuiltBinary.taskpod),
            arguments: ["controller", "--db", directory.file("tasks.db"), "--kubeconfig", kubeconfig, "--image", "busybox",
                        "--listen", "127.0.0.1:0", "--api-token-file", tokens],
            outputPath: directory.file("controller.log"))
        defer { controller.kill() }
        let started = try await controller.waitForOutput(containing: "API listening", timeout: .seconds(30))
        let port = try #require(started.split(separator: "api.port=").last?.prefix { $0.isNumber })
        let server = ["--server", "http://127.0.0.1:\(port)", "--token-file", tokens]
        func taskpod(_ arguments: [String]) async throws -> ExternalTools.Output {
            try await ExternalTools.run(try BuiltBinary.locate(BuiltBinary.taskpod), arguments, in: directory.path,
                                        timeout: .seconds(60))
        }

        let submitted = try await taskpod(["submit"] + server + ["--dag", "d", "--task", "t", "--run", "r", "--",
                                                                 "sh", "-c", "echo hello from the pod"])
        #expect(submitted.succeeded && submitted.output.contains("task 1 queued"), "\(submitted.output)")
        let followed = try await taskpod(["logs"] + server + ["1", "--follow"])
        #expect(followed.output.contains("hello from the pod") && followed.output.contains("task success"), "\(followed.output)")
        let listed = try await taskpod(["tasks", "list"] + server + ["-o", "json"])
        #expect(listed.output.contains("\"state\" : \"success\"") || listed.output.contains("\"state\": \"success\""),
                "\(listed.output)")
        let shown = try await taskpod(["tasks", "show"] + server + ["1"])
        #expect(shown.succeeded && shown.output.contains("running → success"), "\(shown.output)")
        let again = try await taskpod(["submit"] + server + ["--dag", "d", "--task", "t", "--run", "r", "--", "true"])
        #expect(!again.succeeded && again.output.contains("--try 2"), "\(again.output)")
        let bad = try await taskpod(["submit"] + server + ["--dag", "d", "--task", "u", "--run", "r"])
        #expect(!bad.succeeded && bad.output.contains("command"), "\(bad.output)")
        let rendered = try await taskpod(["render"] + server + ["--dag", "d", "--task", "v", "--run", "r", "-o", "json", "--",
                                                                 "echo", "hi"])
        // The controller's --image fills in the image: rendered by the running controller, not by the CLI's defaults.
        #expect(rendered.succeeded && rendered.output.contains("\"image\": \"busybox\""), "\(rendered.output)")
        let cancelled = try await taskpod(["cancel"] + server + ["1"])
        #expect(cancelled.succeeded && cancelled.output.contains("success"), "\(cancelled.output)")
        let anonymous = try await taskpod(["tasks", "list", "--server", "http://127.0.0.1:\(port)"])
        #expect(!anonymous.succeeded && anonymous.output.contains("401"), "\(anonymous.output)")
        #expect(!controller.output().contains("cli-token-42"))
    }
}
