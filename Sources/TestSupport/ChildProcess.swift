import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A process the chaos harness started (`kubesim`, `taskpod controller`): its standard output and error go to a
/// file, and its end is awaited through Foundation's `terminationHandler`, so no thread of Swift's cooperative pool
/// ever blocks on it.
///
/// ```swift
/// let sim = try ChildProcess.start(name: "sim", executable: binary, arguments: ["--port", "0"],
///                                  outputPath: directory + "/sim.log")
/// try await sim.waitForOutput(containing: "KubeSim listening on", timeout: .seconds(30))
/// sim.kill()                      // SIGKILL: no cleanup, as a crash or an OOM kill
/// let status = await sim.exit()   // .signalled(9)
/// ```
public final class ChildProcess: Sendable {
    /// How a child ended.
    public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)

        public var description: String {
            switch self {
            case .exited(let code): "exit code \(code)"
            case .signalled(let signal): "signal \(signal)"
            }
        }
    }

    private struct State {
        /// Kept until the child ends: Foundation needs the object alive to deliver the termination.
        var process: Process?
        var status: ExitStatus?
        /// Who waits for the end, by waiter number; a cancelled waiter is resumed with nil and removed.
        var waiters: [Int: CheckedContinuation<ExitStatus?, Never>] = [:]
        var nextWaiter = 0
        /// Waiters cancelled before they were added.
        var cancelledWaiters: Set<Int> = []
    }

    /// The state, shared with the termination handler.
    private final class Box: Sendable {
        let state = Mutex(State())
    }

    /// A name for reports (`controller ctl-1#3`).
    public let name: String
    /// Where the child's standard output and error go.
    public let outputPath: String
    public let pid: Int32
    /// When the child was started.
    public let startedAt: ContinuousClock.Instant
    private let box: Box

    private init(name: String, outputPath: String, pid: Int32, box: Box) {
        self.name = name
        self.outputPath = outputPath
        self.pid = pid
        self.startedAt = .now
        self.box = box
    }

    /// Starts `executable` with `arguments`, its output appended to `outputPath`.
    ///
    /// - Throws: ``HarnessError`` when the executable cannot be started.
    public static func start(
        name: String, executable: String, arguments: [String], outputPath: String,
        environment: [String: String] = [:]
    ) throws -> ChildProcess {
        if !FileManager.default.fileExists(atPath: outputPath) {
            _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        }
        guard let output = FileHandle(forWritingAtPath: outputPath) else {
            throw HarnessError("cannot open \(outputPath) for the output of \(name)")
        }
        defer { try? output.close() }
        output.seekToEndOfFile()

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        let box = Box()
        process.terminationHandler = { finished in
            let status: ExitStatus = finished.terminationReason == .uncaughtSignal
                ? .signalled(finished.terminationStatus) : .exited(finished.terminationStatus)
            let waiters = box.state.withLock { state -> [CheckedContinuation<ExitStatus?, Never>] in
                state.status = status
                state.process = nil
                defer { state.waiters.removeAll() }
                return Array(state.waiters.values)
            }
            for waiter in waiters { waiter.resume(returning: status) }
        }
        do {
            try withStopSignalsUnblocked { try process.run() }
        } catch {
            throw HarnessError("cannot start \(name) (\(executable)): \(error)")
        }
        // The termination handler may have run already (a child that failed at once): keep the object only if not.
        box.state.withLock { if $0.status == nil { $0.process = process } }
        return ChildProcess(name: name, outputPath: outputPath, pid: process.processIdentifier, box: box)
    }

    /// How the child ended, or nil while it runs.
    public var status: ExitStatus? { box.state.withLock { $0.status } }

    public var isRunning: Bool { status == nil }

    /// Waits until the child ends.
    public func exit() async -> ExitStatus {
        // Not cancellable, so never nil.
        await waitForExit(cancellable: false) ?? .exited(-1)
    }

    /// Waits until the child ends, at most `timeout`; nil when it still runs (or the waiting task is cancelled).
    public func exit(timeout: Duration) async -> ExitStatus? {
        await withTaskGroup(of: ExitStatus?.self) { group in
            group.addTask { await self.waitForExit(cancellable: true) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? status
        }
    }

    /// Resumed by the termination handler; with `cancellable`, also (with nil) when the waiting task is cancelled.
    private func waitForExit(cancellable: Bool) async -> ExitStatus? {
        let waiter = box.state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ExitStatus?, Never>) in
                let resumeNow = box.state.withLock { state -> ExitStatus?? in
                    if let status = state.status { return .some(status) }
                    if state.cancelledWaiters.remove(waiter) != nil { return .some(nil) }
                    state.waiters[waiter] = continuation
                    return .none
                }
                if let resumeNow { continuation.resume(returning: resumeNow) }
            }
        } onCancel: {
            guard cancellable else { return }
            let continuation = box.state.withLock { state in
                let continuation = state.waiters.removeValue(forKey: waiter)
                if continuation == nil, state.status == nil { state.cancelledWaiters.insert(waiter) }
                return continuation
            }
            continuation?.resume(returning: nil)
        }
    }

    /// Sends `signal` (SIGKILL by default: the child gets no chance to clean up) unless the child has ended.
    public func kill(_ signal: Int32 = SIGKILL) {
        guard isRunning else { return }
        _ = sendSignal(pid, signal)
    }

    /// SIGKILL, then waits for the end.
    @discardableResult
    public func killAndWait() async -> ExitStatus {
        kill(SIGKILL)
        return await exit()
    }

    /// SIGTERM, waits up to `grace`, then SIGKILL; returns once the child has ended. When the calling task is
    /// cancelled the grace ends at once.
    @discardableResult
    public func stop(grace: Duration = .seconds(10)) async -> ExitStatus {
        kill(SIGTERM)
        if let status = await exit(timeout: grace) { return status }
        return await killAndWait()
    }

    /// Runs `body`, then stops the child (``stop(grace:)``) and waits for its end, on every path: when `body` returns
    /// and when it throws. A test that starts a process does not return before the process has ended.
    ///
    /// ```swift
    /// let lines = try await watch.stoppingAfter { try await readTheWatch(watch) }
    /// ```
    public func stoppingAfter<T>(
        grace: Duration = .seconds(10), isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T
    ) async throws -> T {
        let value: T
        do {
            value = try await body()
        } catch {
            await stop(grace: grace)
            throw error
        }
        await stop(grace: grace)
        return value
    }

    /// Starts a child (as ``start(name:executable:arguments:outputPath:environment:)``), runs `body` with it, and
    /// stops it and waits for its end on every path, success or throw.
    ///
    /// ```swift
    /// try await ChildProcess.withStarted(name: "kubectl get -w", executable: kubectl, arguments: ["get", "pods", "-w"],
    ///                                    outputPath: directory + "/watch.log") { watch in
    ///     try await watch.waitForOutput(containing: "NAME", timeout: .seconds(30))
    /// }
    /// ```
    ///
    /// - Throws: ``HarnessError`` when the executable cannot be started, or what `body` throws.
    public static func withStarted<T>(
        name: String, executable: String, arguments: [String], outputPath: String, environment: [String: String] = [:],
        grace: Duration = .seconds(10), isolation: isolated (any Actor)? = #isolation,
        _ body: (ChildProcess) async throws -> T
    ) async throws -> T {
        let child = try start(
            name: name, executable: executable, arguments: arguments, outputPath: outputPath, environment: environment)
        return try await child.stoppingAfter(grace: grace) { try await body(child) }
    }

    /// The child's output so far.
    public func output() -> String {
        (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    }

    /// The last `lines` lines of the child's output, for error messages.
    public func outputTail(lines: Int = 20) -> String {
        output().split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// Waits until the child's output contains `text`; returns the line that holds it.
    ///
    /// - Throws: ``HarnessError`` when the child ends first or `timeout` passes, with the end of its output.
    @discardableResult
    public func waitForOutput(containing text: String, timeout: Duration) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            let output = output()
            if let range = output.range(of: text) {
                let start = output[..<range.lowerBound].lastIndex(of: "\n").map { output.index(after: $0) } ?? output.startIndex
                let end = output[range.upperBound...].firstIndex(of: "\n") ?? output.endIndex
                return String(output[start..<end])
            }
            if let status {
                throw HarnessError("\(name) ended (\(status)) before printing \"\(text)\"; its output ends with:\n\(outputTail())")
            }
            if ContinuousClock.now >= deadline {
                throw HarnessError("\(name) did not print \"\(text)\" within \(timeout); its output ends with:\n\(outputTail())")
            }
            try await Task.sleep(for: .milliseconds(25))
        }
    }
}

/// Runs `body` with SIGTERM and SIGINT unblocked on this thread. A child inherits the signal mask of the thread that
/// spawns it (Foundation's `Process` sets none), and the threads of Swift's pool block nearly every signal: a child
/// started from one ignored SIGTERM, so ``ChildProcess/stop(grace:)`` waited out the whole grace before its SIGKILL.
/// Only these two are unblocked (briefly): a SIGPIPE pending on this thread would kill the test process.
private func withStopSignalsUnblocked<T>(_ body: () throws -> T) rethrows -> T {
    var stopSignals = sigset_t()
    sigemptyset(&stopSignals)
    sigaddset(&stopSignals, SIGTERM)
    sigaddset(&stopSignals, SIGINT)
    var previous = sigset_t()
    pthread_sigmask(SIG_UNBLOCK, &stopSignals, &previous)
    defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
    return try body()
}

/// `kill(2)`, outside ``ChildProcess`` whose `kill` hides it.
private func sendSignal(_ pid: Int32, _ signal: Int32) -> Int32 {
    kill(pid, signal)
}
