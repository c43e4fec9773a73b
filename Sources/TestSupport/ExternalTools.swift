import Foundation

/// The external clients the tests drive: kubectl, Python with the official `kubernetes` client, and
/// kubernetes-validate, from the virtual environment that `scripts/python-tools.sh` makes.
public enum ExternalTools {
    /// `$TASKPOD_VENV`, else `.venv` at the top of the repository.
    public static func venv(filePath: String = #filePath) -> String {
        if let path = ProcessInfo.processInfo.environment["TASKPOD_VENV"], !path.isEmpty { return path }
        var folder = (filePath as NSString).deletingLastPathComponent
        while folder != "/", !FileManager.default.fileExists(atPath: folder + "/Package.swift") {
            folder = (folder as NSString).deletingLastPathComponent
        }
        return folder + "/.venv"
    }

    /// The path of a tool in the virtual environment.
    ///
    /// - Throws: ``HarnessError`` naming `scripts/python-tools.sh` when it is missing: a failing test, never a skip.
    public static func tool(_ name: String) throws -> String {
        let path = venv() + "/bin/" + name
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw HarnessError("\(path) is missing: run scripts/python-tools.sh (make test does) to install kubectl and the Python clients")
        }
        return path
    }

    /// What a finished program printed.
    public struct Output: Sendable {
        public var status: ChildProcess.ExitStatus
        public var output: String
        public var succeeded: Bool { status == .exited(0) }
    }

    /// Runs a program to its end without blocking the cooperative pool; output and errors interleaved.
    public static func run(
        _ executable: String, _ arguments: [String], in directory: String, environment: [String: String] = [:],
        timeout: Duration = .seconds(60)
    ) async throws -> Output {
        let outputPath = directory + "/run-\(UUID().uuidString.prefix(8)).log"
        let process = try ChildProcess.start(
            name: (executable as NSString).lastPathComponent, executable: executable, arguments: arguments,
            outputPath: outputPath, environment: environment
        )
        guard let status = await process.exit(timeout: timeout) else {
            await process.killAndWait()
            throw HarnessError("\(executable) \(arguments.joined(separator: " ")) did not end within \(timeout): \(process.outputTail())")
        }
        return Output(status: status, output: process.output())
    }
}
