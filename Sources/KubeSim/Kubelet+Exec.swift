import Foundation
import JSON
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Kubelet {
    /// Why an `exec` container's wait ended.
    private enum ExecWake: Sendable {
        case exited(Int32)
        case deleted(gracePeriodSeconds: Int64)
        case evicted
        case cancelled
    }

    /// Runs the main container's `command` + `args` as a local process with its `env` added to ours.
    /// Deletion sends SIGTERM, then SIGKILL after the grace period; cancellation (shutdown) sends SIGKILL.
    func runExec(
        _ runtime: PodRuntime, pod: JSONValue, plan: PodPlan, startedAt: Timestamp, logger: Logger
    ) async throws -> ContainerOutcome {
        let container = (pod[path: "spec", "containers"]?.arrayValue ?? []).first {
            $0["name"]?.stringValue == runtime.mainContainer
        } ?? .object([:])
        let containerEnvironment = Self.environment(of: container)
        let expand = { (text: String) in Self.expand(text, with: containerEnvironment) }
        let command = (container["command"]?.arrayValue ?? []).compactMap(\.stringValue).map(expand)
        let arguments = (container["args"]?.arrayValue ?? []).compactMap(\.stringValue).map(expand)
        let argv = command + arguments
        guard let name = argv.first else { return .exited(0, startedAt: startedAt) }

        var environment = ProcessInfo.processInfo.environment
        for (key, value) in containerEnvironment { environment[key] = value }
        guard let executable = Self.resolve(name, path: environment["PATH"]) else {
            let reason = name.contains("/")
                ? "stat \(name): no such file or directory" : "executable file not found in $PATH"
            return Self.cannotRun("exec: \(name.quoted): \(reason)", startedAt: startedAt)
        }
        var workingDirectory = container["workingDir"]?.stringValue
        if workingDirectory?.isEmpty ?? true { workingDirectory = nil }
        let process = ContainerProcess(
            executable: executable, arguments: Array(argv.dropFirst()), environment: environment,
            workingDirectory: workingDirectory, log: runtime.mainLog)
        do {
            try process.start()
        } catch {
            return Self.cannotRun("exec: \(name.quoted): \(error)", startedAt: startedAt)
        }
        logger.debug("Container process started", metadata: ["process.id": "\(process.processIdentifier)"])

        let wake = await withTaskGroup(of: ExecWake.self) { group in
            group.addTask {
                guard let code = await process.waitForExit() else { return .cancelled }
                return .exited(code)
            }
            group.addTask {
                guard let grace = await runtime.waitForDeletion() else { return .cancelled }
                return .deleted(gracePeriodSeconds: grace)
            }
            if let evictAfter = plan.evictAfter {
                group.addTask {
                    do {
                        try await Task.sleep(for: evictAfter)
                        return .evicted
                    } catch {
                        return .cancelled
                    }
                }
            }
            let first = await group.next() ?? .cancelled
            group.cancelAll()
            return first
        }
        logger.trace("Container wait ended", metadata: ["kubesim.wake": "\(wake)"])
        switch wake {
        case .exited(let code):
            return .exited(code, startedAt: startedAt)
        case .deleted(let grace):
            recordKilling(runtime)
            process.signal(SIGTERM)
            let exited = await withTaskGroup(of: Int32?.self) { group in
                group.addTask { await process.waitForExit() }
                group.addTask {
                    try? await Task.sleep(for: .seconds(grace))
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
            logger.trace(
                "Container after SIGTERM", metadata: ["process.exit_code": "\(exited.map(String.init) ?? "none")"])
            if let exited { return .exited(exited, startedAt: startedAt) }
            process.signal(SIGKILL)
            guard let code = await process.waitForExit() else { throw CancellationError() }
            return .exited(code, startedAt: startedAt)
        case .evicted:
            process.signal(SIGKILL)
            _ = await process.waitForExit()
            return ContainerOutcome(
                exitCode: 137, reason: "Error", message: nil, startedAt: startedAt, finishedAt: .now(),
                evictionMessage: Self.evictionMessage)
        case .cancelled:
            process.signal(SIGKILL)
            throw CancellationError()
        }
    }

    static func cannotRun(_ message: String, startedAt: Timestamp) -> ContainerOutcome {
        ContainerOutcome(
            exitCode: 127, reason: "ContainerCannotRun", message: message, startedAt: startedAt, finishedAt: .now(),
            evictionMessage: nil)
    }

    /// The container's `env` name/value pairs, each value expanded with the ones before it (`valueFrom` is
    /// not supported and skipped).
    static func environment(of container: JSONValue) -> [(String, String)] {
        var result: [(String, String)] = []
        for variable in container["env"]?.arrayValue ?? [] {
            guard let name = variable["name"]?.stringValue, !name.isEmpty else { continue }
            let value = variable["value"]?.stringValue ?? ""
            result.append((name, expand(value, with: result)))
        }
        return result
    }

    /// Kubernetes' `$(VAR)` expansion: known variables are replaced, unknown ones kept, `$$` is a `$`.
    static func expand(_ text: String, with environment: [(String, String)]) -> String {
        guard text.contains("$") else { return text }
        var values: [String: String] = [:]
        for (name, value) in environment { values[name] = value }
        var result = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let next = text.index(after: index)
            guard character == "$", next < text.endIndex else {
                result.append(character)
                index = next
                continue
            }
            if text[next] == "$" {
                result.append("$")
                index = text.index(after: next)
            } else if text[next] == "(", let close = text[next...].firstIndex(of: ")") {
                let name = String(text[text.index(after: next)..<close])
                result += values[name] ?? "$(\(name))"
                index = text.index(after: close)
            } else {
                result.append(character)
                index = next
            }
        }
        return result
    }

    /// The executable for `name`: itself when it holds a `/`, else the first executable file in `path`.
    static func resolve(_ name: String, path: String?) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        for directory in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = directory + "/" + name
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
                access(candidate, X_OK) == 0
            {
                return candidate
            }
        }
        return nil
    }
}
