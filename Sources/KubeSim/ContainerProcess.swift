import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One `exec`-mode container: a local process whose stdout and stderr go, line by line and interleaved as they
/// come, into the container's log.
final class ContainerProcess: Sendable {
    /// How long to keep reading output after the process exited, for what it wrote last (a child it left
    /// behind may hold the pipes open for longer).
    static let outputDrainTime: DispatchTimeInterval = .milliseconds(500)

    private struct State {
        var exitCode: Int32?
        var openStreams = 2
        var drained = false
        var pending: [[UInt8]] = [[], []]
        var waiters: [Int: CheckedContinuation<Int32?, Never>] = [:]
        var nextWaiterID = 0
        var reported: Int32? { drained ? exitCode : nil }
        /// The output's read sources, from the start until the exit is reported.
        var sources: [UncheckedBox<any DispatchSourceRead>] = []
    }

    private let process: UncheckedBox<Process>
    private let pipes: [Pipe]
    private let log: ContainerLog?
    private let state = Mutex(State())

    init(executable: String, arguments: [String], environment: [String: String], workingDirectory: String?,
         log: ContainerLog?) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        pipes = [Pipe(), Pipe()]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = pipes[0]
        process.standardError = pipes[1]
        self.process = UncheckedBox(process)
        self.log = log
    }

    var processIdentifier: Int32 { process.value.processIdentifier }

    /// Starts the process.
    ///
    /// - Throws: What `Process.run()` throws when the executable cannot be started.
    func start() throws {
        // The output is read by dispatch read sources on one serial queue, with plain read(2): each source is
        // cancelled on that queue when its stream ends, or from anywhere (cancel is thread-safe) once the exit
        // is reported. FileHandle.readabilityHandler is not used: setting it from several threads (the handler
        // itself at EOF, the exit report) races inside Foundation and crashed KubeSim at shutdown.
        let queue = DispatchQueue(label: "kubesim.container-output")
        let sources = pipes.enumerated().map { index, pipe in
            let handle = pipe.fileHandleForReading
            let descriptor = handle.fileDescriptor
            let source = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: queue)
            source.setEventHandler { [weak self] in
                var buffer = [UInt8](repeating: 0, count: 64 << 10)
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count > 0 {
                    self?.received(Array(buffer[..<count]), stream: index)
                } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                    source.cancel()
                    self?.received(nil, stream: index)
                }
            }
            // The descriptor is closed only once its source can no longer read it.
            source.setCancelHandler { try? handle.close() }
            return source
        }
        process.value.terminationHandler = { [weak self] process in
            let status = process.terminationStatus
            self?.exited(process.terminationReason == .uncaughtSignal ? 128 + status : status)
        }
        do {
            // The child inherits the spawning thread's signal mask, and the concurrency pool's threads block
            // nearly every signal: unblock them around the spawn so that SIGTERM reaches the container.
            var unblocked = sigset_t()
            var previous = sigset_t()
            sigemptyset(&unblocked)
            pthread_sigmask(SIG_SETMASK, &unblocked, &previous)
            defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
            try process.value.run()
        } catch {
            for source in sources {
                // A source must be resumed before it goes away; cancelled first, it reads nothing.
                source.cancel()
                source.resume()
            }
            throw error
        }
        state.withLock { $0.sources = sources.map(UncheckedBox.init) }
        for source in sources { source.resume() }
    }

    /// Sends `signal` to the process (and the process group it leads, when it leads one).
    func signal(_ signal: Int32) {
        let pid = processIdentifier
        guard pid > 0, state.withLock({ $0.exitCode == nil }) else { return }
        if getpgid(pid) == pid { killpg(pid, signal) }
        kill(pid, signal)
    }

    /// The exit code (128 + signal for a signal) once the process has exited and its output is read;
    /// `nil` when the task is cancelled first.
    func waitForExit() async -> Int32? {
        let id = state.withLock { state -> Int in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int32?, Never>) in
                let immediate = state.withLock { state -> Int32?? in
                    if let code = state.reported { return .some(code) }
                    if Task.isCancelled { return .some(nil) }
                    state.waiters[id] = continuation
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(returning: nil)
        }
    }

    private func received(_ bytes: [UInt8]?, stream: Int) {
        let (lines, report) = state.withLock { state -> ([String], Bool) in
            var lines: [String] = []
            if let bytes {
                state.pending[stream].append(contentsOf: bytes)
                while let newline = state.pending[stream].firstIndex(of: UInt8(ascii: "\n")) {
                    lines.append(String(decoding: state.pending[stream][..<newline], as: UTF8.self))
                    state.pending[stream].removeSubrange(...newline)
                }
            } else {
                if !state.pending[stream].isEmpty {
                    lines.append(String(decoding: state.pending[stream], as: UTF8.self))
                    state.pending[stream] = []
                }
                state.openStreams -= 1
            }
            return (lines, state.openStreams == 0 && state.exitCode != nil && markDrained(&state))
        }
        for line in lines { log?.append(line) }
        if report { reportExit() }
    }

    private func exited(_ code: Int32) {
        let report = state.withLock { state -> Bool in
            state.exitCode = code
            return state.openStreams == 0 && markDrained(&state)
        }
        if report {
            reportExit()
        } else {
            DispatchQueue.global().asyncAfter(deadline: .now() + Self.outputDrainTime) { [weak self] in
                guard let self else { return }
                if state.withLock({ self.markDrained(&$0) }) { reportExit() }
            }
        }
    }

    /// Marks the output as read; true the first time only.
    private func markDrained(_ state: inout State) -> Bool {
        guard !state.drained else { return false }
        state.drained = true
        return true
    }

    private func reportExit() {
        let (waiters, code, sources) = state.withLock { state in
            defer {
                state.waiters.removeAll()
                state.sources = []
            }
            return (Array(state.waiters.values), state.exitCode, state.sources)
        }
        // Stops reading what a child left behind still writes; a stream that ended is cancelled already.
        for source in sources { source.value.cancel() }
        waiters.forEach { $0.resume(returning: code) }
    }
}

/// Holds a non-Sendable value that is only used in ways that are safe across threads (`Process` is
/// thread-safe for what ``ContainerProcess`` does with it: configure once, run, read its id and status).
private struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
