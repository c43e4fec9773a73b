import Foundation

/// Finds the `taskpod` executable the chaos harness starts: `$TASKPOD_BINARY`, else the one next to the running
/// executable (the test bundle or `ChaosRunner`, both in the build folder).
public enum TaskpodBinary {
    /// The environment variable that names the binary.
    public static let variable = "TASKPOD_BINARY"

    /// The path of the `taskpod` executable.
    ///
    /// - Throws: ``ChaosError`` saying where it looked and how to fix it; never a reason to skip a test.
    public static func locate() throws -> String {
        let fileManager = FileManager.default
        if let path = ProcessInfo.processInfo.environment[variable], !path.isEmpty {
            guard fileManager.isExecutableFile(atPath: path) else {
                throw ChaosError("\(variable)=\(path) is not an executable file; build it with `swift build --product taskpod`")
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
            let candidate = folder + "/taskpod"
            if fileManager.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw ChaosError(
            "found no taskpod executable next to this program (looked in \(seen.sorted().joined(separator: ", "))); "
                + "build it with `swift build --build-tests` (which builds taskpod too) or set \(variable) to its path")
    }
}
