import Synchronization

/// Whether the server is listening yet, for ``KubeSim/waitUntilListening()`` callers.
final class ListenState: Sendable {
    private enum Phase {
        case notStarted
        case starting
        case listening(port: Int)
        case stopped(any Error)
    }

    private struct State {
        var phase: Phase = .notStarted
        var waiters: [Int: CheckedContinuation<Int, any Error>] = [:]
        var nextWaiterID = 0
    }

    private let state = Mutex(State())

    /// Marks the start of `run()`; false when it was already started once.
    func start() -> Bool {
        state.withLock { state in
            guard case .notStarted = state.phase else { return false }
            state.phase = .starting
            return true
        }
    }

    var port: Int? {
        state.withLock { state in
            if case .listening(let port) = state.phase { return port }
            return nil
        }
    }

    func listening(port: Int) {
        let waiters = state.withLock { state -> [CheckedContinuation<Int, any Error>] in
            state.phase = .listening(port: port)
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        waiters.forEach { $0.resume(returning: port) }
    }

    /// The server has stopped: waiters get `error`, later callers too.
    func stopped(_ error: any Error) {
        let waiters = state.withLock { state -> [CheckedContinuation<Int, any Error>] in
            state.phase = .stopped(error)
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        waiters.forEach { $0.resume(throwing: error) }
    }

    func waitUntilListening() async throws -> Int {
        let id = state.withLock { state -> Int in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int, any Error>) in
                let immediate = state.withLock { state -> Result<Int, any Error>? in
                    switch state.phase {
                    case .listening(let port): return .success(port)
                    case .stopped(let error): return .failure(error)
                    case .notStarted, .starting:
                        if Task.isCancelled { return .failure(CancellationError()) }
                        state.waiters[id] = continuation
                        return nil
                    }
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }
}
