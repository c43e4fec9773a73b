import Foundation

/// Finds an executable of this package that tests and harnesses start as a child process (`taskpod`, `kubesim`):
/// the path in its environment variable (`TASKPOD_BINARY`, `KUBESIM_BINARY`), else the one next to the running
/// executable (the test bundle or a benchmark runner, all in the build folder).
public enum BuiltBinary {
    /// The `taskpod` command (the controller and the CLI).
    public static let taskpod = "taskpod"
    /// The `kubesim` command (the simulator).
    public static let kubesim = "kubesim"

    /// The environment variable that names `name`'s path: `TASKPOD_BINARY` for `taskpod`.
    public static func variable(for name: String) -> String { name.uppercased() + "_BINARY" }

    /// The path of the executable `name`.
    ///
    /// - Throws: ``HarnessError`` saying where it looked and how to fix it; never a reason to skip a test.
    public static func locate(_ name: String) throws -> String {
        let fileManager = FileManager.default
        let variable = variable(for: name)
        if let path = ProcessInfo.processInfo.environment[variable], !path.isEmpty {
            guard fileManager.isExecutableFile(atPath: path) else {
                throw HarnessError("\(variable)=\(path) is not an executable file; build it with `swift build --product \(name)`")
            }
            return path
        }
        var folders: [String] = []
        if let own = try? fileManager.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            folders.append((own as NSString).deletingLastPathComponent)
        }
        if let main = Bundle.main.executablePath { folders.append((main as NSString).deletingLastPathComponent) }
        if let first = CommandLine.arguments.first, first.contains("/") {
            folders.append(((first as NSString).standardizingPath as NSString).deletingLastPathComponent)
        }
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            folders.append((bundle.bundlePath as NSString).deletingLastPathComponent)
        }
        var seen: Set<String> = []
        for folder in folders where seen.insert(folder).inserted {
            let candidate = folder + "/" + name
            if fileManager.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw HarnessError(
            "found no \(name) executable next to this program (looked in \(seen.sorted().joined(separator: ", "))); "
                + "build it with `swift build --build-tests` (which builds \(name) too) or set \(variable) to its path")
    }
}
