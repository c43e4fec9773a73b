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
    /// - Throws: ``HarnessError`` when it does not start listening within 60 s.
    public static func start(binary: String? = nil, directory: String, extraArguments: [String] = []) async throws -> SimProcess {
        let kubeconfig = directory + "/kubeconfig.yaml"
        let audit = directory + "/audit.jsonl"
        let binary = try binary ?? BuiltBinary.locate(BuiltBinary.kubesim)
        let process = try ChildProcess.start(
            name: "kubesim", executable: binary,
            arguments: [
                "--port", "0", "--mode", "scripted", "--write-kubeconfig", kubeconfig, "--audit-log", audit,
                "--log-level", "warning",
            ] + extraArguments,
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

    /// Stops the simulator (SIGTERM, then SIGKILL).
    public func stop() async {
        await process.stop(grace: .seconds(5))
    }
}
