import Foundation

/// The `kubesim` executable run as a child process by `taskpod demo`: the simulator is never linked into `taskpod`.
final class SimulatorProcess: Sendable {
    private let process: Process
    private let exited: AsyncStream<Void>

    private init(process: Process, exited: AsyncStream<Void>) {
        self.process = process
        self.exited = exited
    }

    /// `$KUBESIM_BINARY`, else `kubesim` beside the running `taskpod`, else on `PATH`.
    static func locate() throws -> String {
        let fileManager = FileManager.default
        if let path = ProcessInfo.processInfo.environment["KUBESIM_BINARY"], !path.isEmpty {
            guard fileManager.isExecutableFile(atPath: path) else {
                throw SimulatorProcessError("KUBESIM_BINARY=\(path) is not an executable file")
            }
            return path
        }
        var folders: [String] = []
        if let own = try? fileManager.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            folders.append((own as NSString).deletingLastPathComponent)
        }
        if let main = Bundle.main.executablePath { folders.append((main as NSString).deletingLastPathComponent) }
        folders += (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for folder in folders where fileManager.isExecutableFile(atPath: folder + "/kubesim") {
            return folder + "/kubesim"
        }
        throw SimulatorProcessError(
            "the demo needs the kubesim executable beside taskpod or on PATH: build both with `swift build` "
                + "(or `make demo`), or set KUBESIM_BINARY to its path")
    }

    /// Starts `kubesim` with `arguments` (its output to `outputPath`) and waits until it listens.
    static func start(arguments: [String], outputPath: String, timeout: Duration = .seconds(60)) async throws -> SimulatorProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try locate())
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardOutput = output
        process.standardError = output
        let (exited, continuation) = AsyncStream.makeStream(of: Void.self)
        process.terminationHandler = { _ in continuation.finish() }
        try process.run()
        let sim = SimulatorProcess(process: process, exited: exited)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            if text.contains("KubeSim listening on ") { return sim }
            guard process.isRunning else {
                throw SimulatorProcessError("kubesim exited (\(process.terminationStatus)) before listening:\n\(text.suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        await sim.stop()
        throw SimulatorProcessError("kubesim did not listen within \(timeout); its output is in \(outputPath)")
    }

    /// SIGTERM, then SIGKILL after `grace`; returns once the process is gone.
    func stop(grace: Duration = .seconds(5)) async {
        guard process.isRunning else { return }
        process.terminate()
        let exited = self.exited
        let process = self.process
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await _ in exited {} }
            group.addTask {
                try? await Task.sleep(for: grace)
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            }
            await group.next()
            group.cancelAll()
        }
    }
}

struct SimulatorProcessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
