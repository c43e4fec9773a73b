import CCurl
import Foundation
import Synchronization

/// One libcurl multi handle driven by one dedicated thread.
///
/// Swift tasks hand transfers to the thread through a locked command queue and `curl_multi_wakeup`; the
/// thread loops on `curl_multi_poll`, runs every callback, and owns every easy handle. Connections are
/// reused across requests and HTTP/2 streams are multiplexed where the server offers it.
public final class CurlEngine: Sendable {
    /// The process-wide engine.
    public static let shared = CurlEngine()

    enum Command {
        case add(CurlTransfer)
        case cancel(CurlTransfer)
        case unpause(CurlTransfer)
        /// Ends every transfer, closes every connection and stops the thread; resumes the continuation after.
        case shutdown(CheckedContinuation<Void, Never>?)
    }

    private struct MultiHandle: @unchecked Sendable {
        let pointer: UnsafeMutableRawPointer
    }

    private let multi: MultiHandle
    private let commands = CommandQueue()

    private static let globalInit: Void = {
        curl_global_init(Int(CURL_GLOBAL_ALL))
    }()

    /// A transport of its own (one thread, its own connections); most callers share ``shared``. Stop it with
    /// ``shutdown()``, or let it go: dropping the last reference stops it too.
    public init() {
        _ = CurlEngine.globalInit
        guard let pointer = curl_multi_init() else { fatalError("curl_multi_init failed") }
        multi = MultiHandle(pointer: pointer)
        _ = taskpod_multi_setopt_long(pointer, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        _ = taskpod_multi_setopt_long(pointer, CURLMOPT_MAX_HOST_CONNECTIONS, 64)
        let thread = Thread { [multi, commands] in
            var loop = CurlLoop(multi: multi.pointer, commands: commands)
            loop.run()
        }
        thread.name = "taskpod-curl"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Hands a command to the curl thread. After shutdown, a new transfer fails at once and the rest is moot.
    ///
    /// The wakeup happens under the queue's lock: the curl thread closes the multi handle under the same lock
    /// after the queue is closed, so no wakeup can reach a freed handle.
    func submit(_ command: Command) {
        let accepted = commands.pending.withLock { queue in
            guard !queue.closed else { return false }
            queue.commands.append(command)
            if case .shutdown = command { queue.closed = true }
            curl_multi_wakeup(multi.pointer)
            return true
        }
        if !accepted {
            switch command {
            case .add(let transfer):
                transfer.complete(error: TransportError(code: .cancelled, message: "the client was shut down", request: transfer.label))
            case .shutdown(let continuation):
                continuation?.resume()
            case .cancel, .unpause:
                break
            }
        }
    }

    /// Ends every transfer (they fail as cancelled), closes every connection and stops the curl thread.
    /// Requests made afterwards fail at once. Idempotent.
    public func shutdown() async {
        await withCheckedContinuation { continuation in submit(.shutdown(continuation)) }
    }

    deinit {
        // Only the thread and its queue are left: stop them and close the connections.
        submit(.shutdown(nil))
    }

    func start(_ transfer: CurlTransfer) { submit(.add(transfer)) }
    func cancel(_ transfer: CurlTransfer) { submit(.cancel(transfer)) }
    func unpause(_ transfer: CurlTransfer) { submit(.unpause(transfer)) }

    /// Performs a request and collects the whole body.
    ///
    /// - Throws: ``TransportError`` when no HTTP response arrived; any HTTP status is returned, not thrown.
    public func perform(_ request: HTTPRequest) async throws -> HTTPResponse {
        let stream = try await stream(request, bufferLimit: Int.max)
        var body: [UInt8] = []
        while let chunk = try await stream.next() { body.append(contentsOf: chunk) }
        return HTTPResponse(head: stream.head, body: body)
    }

    /// Starts a request and returns once the response head arrived; the body is read chunk by chunk, with
    /// back-pressure: libcurl is paused while `bufferLimit` bytes wait unread.
    public func stream(_ request: HTTPRequest, bufferLimit: Int = 1 << 20) async throws -> ResponseStream {
        let transfer = CurlTransfer(request: request, bufferLimit: bufferLimit)
        let owner = TransferOwner(transfer: transfer, engine: self)
        start(transfer)
        let head = try await transfer.head(engine: self)
        return ResponseStream(head: head, owner: owner)
    }
}

/// The commands Swift tasks hand to the curl thread.
final class CommandQueue: Sendable {
    struct Pending {
        var commands: [CurlEngine.Command] = []
        /// Set once a shutdown is queued: nothing more is accepted, and nothing touches the multi handle again.
        var closed = false
    }

    let pending = Mutex(Pending())
}

/// Cancels its transfer when the last reference to the response goes away.
final class TransferOwner: Sendable {
    let transfer: CurlTransfer
    let engine: CurlEngine

    init(transfer: CurlTransfer, engine: CurlEngine) {
        self.transfer = transfer
        self.engine = engine
    }

    deinit {
        // A no-op once the transfer ended; the engine is retained here, so the command is queued or refused.
        transfer.cancel(engine: engine)
    }
}

/// A response whose body is read in chunks as they arrive. Dropping it cancels the transfer.
public struct ResponseStream: Sendable {
    public let head: HTTPResponseHead
    let owner: TransferOwner

    /// The next chunk of the body, or nil at its end.
    public func next() async throws -> [UInt8]? {
        try await owner.transfer.nextChunk(engine: owner.engine)
    }

    /// Reads the rest of the body (bounded by `limit` bytes).
    public func collect(limit: Int = 16 << 20) async throws -> [UInt8] {
        var body: [UInt8] = []
        while let chunk = try await next() {
            body.append(contentsOf: chunk.prefix(max(0, limit - body.count)))
            if body.count >= limit { break }
        }
        return body
    }
}
