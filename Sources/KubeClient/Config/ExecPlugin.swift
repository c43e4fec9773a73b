import Foundation
import JSON

/// A client-go credential plugin (kubeconfig `users[].user.exec`): a command that prints an
/// `ExecCredential` holding a bearer token or a client certificate, with an expiry.
public struct ExecPlugin: Sendable, Hashable {
    public var apiVersion: String
    /// The command as written; resolved against the kubeconfig's folder when it is a relative path.
    public var command: String
    public var args: [String]
    public var env: [String: String]
    public var provideClusterInfo: Bool
    public var interactiveMode: String
    /// The kubeconfig that named the plugin, for messages.
    public var kubeconfig: String
    var clusterInfo: JSONValue?

    static let supportedVersions: Set<String> = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"]

    init(_ value: JSONValue, kubeconfig file: KubeConfigFile, field: String, server: String, tls: TLSOptions) throws {
        guard let apiVersion = value["apiVersion"]?.stringValue, ExecPlugin.supportedVersions.contains(apiVersion) else {
            throw KubeConfigError("kubeconfig \(file.path): \(field).apiVersion must be client.authentication.k8s.io/v1 or v1beta1")
        }
        guard let command = value["command"]?.stringValue, !command.isEmpty else {
            throw KubeConfigError("kubeconfig \(file.path): \(field).command is required")
        }
        self.apiVersion = apiVersion
        self.command = command.contains("/") ? file.absolute(command) : command
        args = (value["args"]?.arrayValue ?? []).compactMap(\.stringValue)
        var env: [String: String] = [:]
        for entry in value["env"]?.arrayValue ?? [] {
            guard let name = entry["name"]?.stringValue else {
                throw KubeConfigError("kubeconfig \(file.path): \(field).env entries need a name and a value")
            }
            env[name] = entry["value"]?.stringValue ?? ""
        }
        self.env = env
        provideClusterInfo = value["provideClusterInfo"]?.boolValue ?? false
        interactiveMode = value["interactiveMode"]?.stringValue ?? "IfAvailable"
        if apiVersion == "client.authentication.k8s.io/v1", value["interactiveMode"] == nil {
            throw KubeConfigError("kubeconfig \(file.path): \(field).interactiveMode is required by client.authentication.k8s.io/v1 (use Never or IfAvailable)")
        }
        if interactiveMode == "Always" {
            throw KubeConfigError("kubeconfig \(file.path): \(field).interactiveMode is Always, but taskpod runs without a terminal; use Never or IfAvailable")
        }
        kubeconfig = file.path
        if provideClusterInfo {
            var cluster: JSONObject = ["server": .string(server)]
            if let ca = tls.caPEM { cluster["certificate-authority-data"] = .string(Data(ca).base64EncodedString()) }
            if !tls.verifyPeer { cluster["insecure-skip-tls-verify"] = true }
            if let name = tls.serverName { cluster["tls-server-name"] = .string(name) }
            clusterInfo = .object(cluster)
        }
    }

    /// What the plugin handed out.
    struct Credential: Sendable {
        var token: String?
        var clientCertificatePEM: [UInt8]?
        var clientKeyPEM: [UInt8]?
        var expires: Date?
    }

    /// Runs the plugin and reads its ExecCredential.
    ///
    /// - Throws: ``KubeConfigError`` naming the plugin and what went wrong; never the plugin's output.
    func run(timeout: TimeInterval = 60) throws -> Credential {
        let process = Process()
        if command.contains("/") {
            process.executableURL = URL(fileURLWithPath: command)
            process.arguments = args
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [command] + args
        }
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in env { environment[name] = value }
        var spec: JSONObject = ["interactive": false]
        if let clusterInfo { spec["cluster"] = clusterInfo }
        let info: JSONValue = ["apiVersion": .string(apiVersion), "kind": "ExecCredential", "spec": .object(spec)]
        environment["KUBERNETES_EXEC_INFO"] = info.jsonString
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw KubeConfigError("exec credential plugin \(command) (from \(kubeconfig)) cannot be started: \(error.localizedDescription)")
        }
        // stderr is drained beside stdout, so a chatty plugin cannot fill its pipe and stall.
        let errorRead = DispatchGroup()
        nonisolated(unsafe) var errorData = Data()
        DispatchQueue.global().async(group: errorRead) { errorData = errors.fileHandleForReading.readDataToEndOfFile() }
        let outputData = readAll(output, process: process, timeout: timeout)
        errorRead.wait()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let detail = String(decoding: errorData.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw KubeConfigError("exec credential plugin \(command) exited with status \(process.terminationStatus)\(detail.isEmpty ? "" : ": \(detail)")")
        }
        return try ExecPlugin.parse(outputData, apiVersion: apiVersion, command: command)
    }

    private func readAll(_ pipe: Pipe, process: Process, timeout: TimeInterval) -> Data {
        let deadline = DispatchTime.now() + timeout
        let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: deadline, execute: killer)
        defer { killer.cancel() }
        return pipe.fileHandleForReading.readDataToEndOfFile()
    }

    static func parse(_ data: Data, apiVersion: String, command: String) throws -> Credential {
        guard let value = try? JSONValue(parsing: data), value["kind"]?.stringValue == "ExecCredential" else {
            throw KubeConfigError("exec credential plugin \(command) did not print an ExecCredential")
        }
        if let version = value["apiVersion"]?.stringValue, version != apiVersion {
            throw KubeConfigError("exec credential plugin \(command) answered \(version), but the kubeconfig asked for \(apiVersion)")
        }
        guard let status = value["status"]?.objectValue else {
            throw KubeConfigError("exec credential plugin \(command) printed an ExecCredential without status")
        }
        var credential = Credential()
        credential.token = status["token"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        credential.clientCertificatePEM = status["clientCertificateData"]?.stringValue.map { Array($0.utf8) }
        credential.clientKeyPEM = status["clientKeyData"]?.stringValue.map { Array($0.utf8) }
        if let expiry = status["expirationTimestamp"]?.stringValue {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime]
            var date = formatter.date(from: expiry)
            if date == nil {
                formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                date = formatter.date(from: expiry)
            }
            guard let date else {
                throw KubeConfigError("exec credential plugin \(command) printed an expirationTimestamp that is not RFC 3339")
            }
            credential.expires = date
        }
        guard credential.token != nil || (credential.clientCertificatePEM != nil && credential.clientKeyPEM != nil) else {
            throw KubeConfigError("exec credential plugin \(command) printed neither a token nor a client certificate and key")
        }
        return credential
    }
}
