import Foundation
import JSON
import KubeClient
import Logging
import TestSupport

/// The `kubesim` executable in its own process, in scripted mode, with its audit log: the cluster of a chaos run. It outlives
/// every controller of the run; its faults are changed through `PUT /kubesim/faults`.
public final class SimProcess: Sendable {
    public let process: ChildProcess
    public let kubeconfigPath: String
    public let auditLogPath: String
    /// `http://127.0.0.1:PORT`.
    public let baseURL: String

    private init(process: ChildProcess, kubeconfigPath: String, auditLogPath: String, baseURL: String) {
        self.process = process
        self.kubeconfigPath = kubeconfigPath
        self.auditLogPath = auditLogPath
        self.baseURL = baseURL
    }

    /// Starts the simulator and waits until it listens.
    ///
    /// - Parameters:
    ///   - binary: the `kubesim` executable (default: ``BuiltBinary/locate(_:)``'s).
    ///   - directory: where the kubeconfig, the audit log and the simulator's output go.
    ///   - extraArguments: more `kubesim` options.
    ///   - auditLog: whether the simulator writes its audit log (benchmarks leave it out: it costs the simulator time).
    /// - Throws: ``HarnessError`` when it does not start listening within 60 s.
    public static func start(
        binary: String? = nil, directory: String, extraArguments: [String] = [], auditLog: Bool = true
    ) async throws -> SimProcess {
        let kubeconfig = directory + "/kubeconfig.yaml"
        let audit = directory + "/audit.jsonl"
        let binary = try binary ?? BuiltBinary.locate(BuiltBinary.kubesim)
        let process = try ChildProcess.start(
            name: "kubesim", executable: binary,
            arguments: ["--port", "0", "--mode", "scripted", "--write-kubeconfig", kubeconfig, "--log-level", "warning"]
                + (auditLog ? ["--audit-log", audit] : []) + extraArguments,
            outputPath: directory + "/sim.log")
        let line: String
        do {
            line = try await process.waitForOutput(containing: "KubeSim listening on ", timeout: .seconds(60))
        } catch {
            await process.killAndWait()
            throw error
        }
        guard let range = line.range(of: "KubeSim listening on "),
            let url = line[range.upperBound...].split(separator: " ").first.map(String.init),
            url.hasPrefix("http")
        else {
            await process.killAndWait()
            throw HarnessError("cannot read the simulator's address from its line \"\(line)\"")
        }
        // The kubeconfig is written before the line is printed; make sure it is there.
        guard FileManager.default.fileExists(atPath: kubeconfig) else {
            await process.killAndWait()
            throw HarnessError("the simulator printed that it listens but wrote no kubeconfig at \(kubeconfig)")
        }
        return SimProcess(process: process, kubeconfigPath: kubeconfig, auditLogPath: audit, baseURL: url)
    }

    /// Starts the simulator (as ``start(binary:directory:extraArguments:)``), runs `body` with it, and stops it and
    /// waits for its end on every path, success or throw: no simulator outlives the test that started it.
    ///
    /// ```swift
    /// try await SimProcess.with(directory: directory.path) { sim in
    ///     let client = try sim.client(logger: logger)
    ///     _ = try await client.listPods(namespace: "default")
    /// }
    /// ```
    ///
    /// - Throws: ``HarnessError`` when the simulator does not start, or what `body` throws.
    public static func with<T>(
        binary: String? = nil, directory: String, extraArguments: [String] = [],
        isolation: isolated (any Actor)? = #isolation, _ body: (SimProcess) async throws -> T
    ) async throws -> T {
        let sim = try await start(binary: binary, directory: directory, extraArguments: extraArguments)
        return try await sim.process.stoppingAfter(grace: .seconds(5)) { try await body(sim) }
    }

    /// A client of the simulator for the harness's own reads (Pods, the Lease): patient retries, so that it rides
    /// out the faults it is injecting.
    public func client(logger: Logger) throws -> KubeClient {
        KubeClient(
            config: try KubeConfig.load(path: kubeconfigPath), logger: logger,
            retry: .init(maxAttempts: 12, initialBackoff: .milliseconds(200), maxBackoff: .seconds(2), maxTotal: .seconds(90)))
    }

    /// Changes the injected faults (the JSON form of `/kubesim/faults`): `POST` (the default) changes only the keys
    /// given (`null` turns one off), `PUT` replaces them all (keys left out turn off).
    ///
    /// - Throws: ``HarnessError`` when the simulator refuses them or cannot be reached.
    public func setFaults(_ faults: JSONValue, replacing: Bool = false) async throws {
        let request = HTTPRequest(
            method: replacing ? .put : .post, url: baseURL + "/kubesim/faults", headers: [("Content-Type", "application/json")],
            body: faults.jsonBytes, timeout: .seconds(10))
        let response: HTTPResponse
        do {
            response = try await CurlEngine.shared.perform(request)
        } catch {
            throw HarnessError("cannot set the simulator's faults \(faults.jsonString): \(error)")
        }
        guard (200..<300).contains(response.status) else {
            throw HarnessError("the simulator refused the faults \(faults.jsonString): \(response.status) \(response.bodyText)")
        }
    }

    /// Waits until the simulator's audit log records a request with `verb` (`watch`, `create`, …) whose path
    /// contains `path`: the positive signal that the server has served it (a watch's entry is written once the
    /// watch is subscribed, so every later change reaches it).
    ///
    /// - Returns: the audit line.
    /// - Throws: ``HarnessError`` when the simulator ends first or `timeout` passes.
    @discardableResult
    public func waitForRequest(verb: String, path: String = "", timeout: Duration = .seconds(30)) async throws -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        while true {
            let data = FileManager.default.contents(atPath: auditLogPath) ?? Data()
            // Only whole lines: the last one may be half written.
            let whole = data.lastIndex(of: UInt8(ascii: "\n")).map { data[...$0] } ?? Data()
            for line in whole.split(separator: UInt8(ascii: "\n")) {
                guard let entry = try? JSONValue(parsing: line) else {
                    throw HarnessError("a malformed line in the audit log \(auditLogPath): \(String(decoding: line, as: UTF8.self))")
                }
                if entry["verb"]?.stringValue == verb, path.isEmpty || entry["path"]?.stringValue?.contains(path) == true {
                    return entry
                }
            }
            if let status = process.status {
                throw HarnessError("kubesim ended (\(status)) before a \(verb) request on \"\(path)\"; its output ends with:\n\(process.outputTail())")
            }
            if ContinuousClock.now >= deadline {
                throw HarnessError("no \(verb) request on \"\(path)\" reached the simulator within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(25))
        }
    }

    /// Stops the simulator (SIGTERM, then SIGKILL).
    public func stop() async {
        await process.stop(grace: .seconds(5))
    }
}
