import Foundation
import JSON

/// The external references the Pod tests check taskpod against: kubectl (`kubectl patch --local --type strategic`),
/// kubernetes-validate (`--strict`) and the official Python client (`parse_quantity`), from the virtual environment
/// that `scripts/python-tools.sh` makes. A missing tool fails the test that needs it: it never skips.
enum PodRenderTools {
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    struct Failed: Error, CustomStringConvertible {
        var description: String
    }

    /// The repository: three levels above this file (symbolic links resolved, so a scratch package works too).
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `$TASKPOD_VENV`, else `.venv` in the repository.
    static var venv: URL {
        if let path = ProcessInfo.processInfo.environment["TASKPOD_VENV"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return repositoryRoot.appendingPathComponent(".venv")
    }

    /// The tool `name` in the virtual environment's `bin`.
    static func tool(_ name: String) throws -> URL {
        let url = venv.appendingPathComponent("bin").appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw Missing(description: "\(url.path) is missing: run scripts/python-tools.sh (it makes \(venv.path) with "
                + "kubectl, kubernetes-validate and the kubernetes Python client); these checks never skip")
        }
        return url
    }

    /// Written by one reader thread, read after it is done (the DispatchGroup orders the two).
    final class DataBox: @unchecked Sendable {
        var data = Data()
    }

    struct Output {
        var status: Int32
        var stdout: Data
        var stderr: String
    }

    /// Runs a program to its end off the cooperative pool, feeding `input` on standard input.
    static func run(_ executable: URL, _ arguments: [String], input: Data? = nil, environment: [String: String]? = nil)
        async throws -> Output
    {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    let process = Process()
                    process.executableURL = executable
                    process.arguments = arguments
                    if let environment { process.environment = environment }
                    let stdout = Pipe()
                    let stderr = Pipe()
                    let stdin = Pipe()
                    process.standardOutput = stdout
                    process.standardError = stderr
                    process.standardInput = stdin
                    try process.run()
                    let writer = DispatchQueue(label: "stdin")
                    writer.async {
                        if let input { stdin.fileHandleForWriting.write(input) }
                        try? stdin.fileHandleForWriting.close()
                    }
                    let errorData = DataBox()
                    let group = DispatchGroup()
                    group.enter()
                    DispatchQueue.global().async {
                        errorData.data = stderr.fileHandleForReading.readDataToEndOfFile()
                        group.leave()
                    }
                    let outData = stdout.fileHandleForReading.readDataToEndOfFile()
                    group.wait()
                    process.waitUntilExit()
                    continuation.resume(returning: Output(
                        status: process.terminationStatus, stdout: outData, stderr: String(decoding: errorData.data, as: UTF8.self)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// Runs `script` with the virtual environment's Python, `input` as JSON on standard input; its standard output
    /// is read as one JSON document.
    static func python(_ script: String, input: JSONValue) async throws -> JSONValue {
        let output = try await run(try tool("python"), ["-c", script], input: Data(input.jsonString.utf8))
        guard output.status == 0 else {
            throw Failed(description: "python exited \(output.status): \(output.stderr.suffix(2000))")
        }
        return try JSONValue(parsing: output.stdout)
    }

    /// `kubectl patch --local --type strategic -f pod.json -p PATCH -o json`, with no kubeconfig and a fresh cache.
    static func kubectlPatch(_ pod: JSONValue, with patch: JSONValue) async throws -> Result<JSONValue, Failed> {
        let kubectl = try tool("kubectl")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("taskpod-kubectl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("pod.json")
        try Data(pod.jsonString.utf8).write(to: file)
        let output = try await run(
            kubectl,
            ["patch", "--local", "--type", "strategic", "-f", file.path, "-p", patch.jsonString, "-o", "json",
             "--cache-dir", directory.appendingPathComponent("cache").path],
            environment: ["HOME": directory.path, "PATH": "/usr/bin:/bin"]
        )
        guard output.status == 0 else {
            return .failure(Failed(description: output.stderr.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        return .success(try JSONValue(parsing: output.stdout))
    }

    /// kubernetes-validate `--strict` for each Pod (the schema of its newest Kubernetes version): nil where the Pod is
    /// valid, else the validator's message. One Python process checks them all.
    static func kubernetesValidate(_ pods: [JSONValue]) async throws -> [String?] {
        _ = try tool("kubernetes-validate")
        let script = """
            import json, sys
            import kubernetes_validate
            from kubernetes_validate import utils
            version = kubernetes_validate.latest_version()
            results = []
            for pod in json.load(sys.stdin):
                try:
                    utils.validate(pod, version, strict=True)
                    results.append(None)
                except Exception as error:
                    results.append("%s: %s" % (type(error).__name__, getattr(error, "message", error)))
            print(json.dumps(results))
            """
        let results = try await python(script, input: .array(pods))
        return (results.arrayValue ?? []).map(\.stringValue)
    }

    /// Runs `body` on every element with at most `limit` at once; results in input order.
    static func concurrentMap<T: Sendable, R: Sendable>(_ items: [T], limit: Int, _ body: @escaping @Sendable (T) async throws -> R)
        async throws -> [R]
    {
        try await withThrowingTaskGroup(of: (Int, R).self) { group in
            var results = [R?](repeating: nil, count: items.count)
            var next = 0
            for _ in 0..<min(limit, items.count) {
                let index = next
                group.addTask { (index, try await body(items[index])) }
                next += 1
            }
            while let (index, result) = try await group.next() {
                results[index] = result
                if next < items.count {
                    let index = next
                    group.addTask { (index, try await body(items[index])) }
                    next += 1
                }
            }
            return results.map { $0! }
        }
    }

    /// The value as Kubernetes' JSON round trip leaves it: integral doubles are integers.
    static func normalized(_ value: JSONValue) -> JSONValue {
        switch value {
        case .double(let number) where number.rounded() == number && abs(number) < 9e18: return .int(Int64(number))
        case .array(let items): return .array(items.map(normalized))
        case .object(let object): return .object(JSONObject(object.map { ($0.key, normalized($0.value)) }))
        default: return value
        }
    }
}
