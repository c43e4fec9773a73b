import JSON
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One JSON line per request (time, verb, path, code, namespace, pod, and the service account's user name): kept in memory (bounded) and, when configured,
/// appended to a file.
final class AuditLog: Sendable {
    private struct State {
        var entries: [JSONValue] = []
        var fileDescriptor: Int32 = -1
    }

    private let state = Mutex(State())
    private let memoryLimit: Int

    init(memoryLimit: Int) {
        self.memoryLimit = max(1, memoryLimit)
    }

    /// Opens (creating or appending to) the audit file.
    ///
    /// - Throws: ``KubeSimError`` naming the path when it cannot be opened.
    func open(path: String) throws(KubeSimError) {
        let descriptor = openForAppending(path)
        guard descriptor >= 0 else {
            throw KubeSimError(.auditLogUnavailable, "cannot open the audit log file \(path): errno \(errno)")
        }
        let previous = state.withLock { state -> Int32 in
            defer { state.fileDescriptor = descriptor }
            return state.fileDescriptor
        }
        if previous >= 0 { close(previous) }
    }

    func closeFile() {
        let descriptor = state.withLock { state -> Int32 in
            defer { state.fileDescriptor = -1 }
            return state.fileDescriptor
        }
        if descriptor >= 0 { close(descriptor) }
    }

    func record(verb: String, path: String, code: Int, pod: String?, namespace: String?, user: String? = nil) {
        var entry: JSONObject = [
            "time": .string(Timestamp.now().rfc3339NanoFixed), "verb": .string(verb), "path": .string(path),
            "code": .int(Int64(code)),
        ]
        if let namespace { entry["namespace"] = .string(namespace) }
        if let pod { entry["pod"] = .string(pod) }
        if let user { entry["user"] = .string(user) }
        let value = JSONValue.object(entry)
        let line = Array((value.jsonString + "\n").utf8)
        state.withLock { state in
            state.entries.append(value)
            if state.entries.count > memoryLimit + memoryLimit / 4 {
                state.entries.removeFirst(state.entries.count - memoryLimit)
            }
            // One write(2) per line on an O_APPEND descriptor: lines never interleave.
            if state.fileDescriptor >= 0 {
                _ = line.withUnsafeBytes { write(state.fileDescriptor, $0.baseAddress, $0.count) }
            }
        }
    }

    /// The last entries, at most the memory limit, oldest first.
    var entries: [JSONValue] { state.withLock { Array($0.entries.suffix(memoryLimit)) } }
}

private func openForAppending(_ path: String) -> Int32 {
    open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
}
