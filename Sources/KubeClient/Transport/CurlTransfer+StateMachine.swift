/// The life of one transfer as seen from both sides: the curl thread producing head, body chunks and
/// completion, and a Swift task consuming them. Pure value logic; the caller performs the returned actions
/// outside the lock.
struct TransferStateMachine {
    enum HeadAction {
        case none
        case resume(CheckedContinuation<HTTPResponseHead, any Error>, HTTPResponseHead)
    }

    enum ChunkAction {
        /// The bytes were buffered or handed over; keep going.
        case accepted(CheckedContinuation<[UInt8]?, any Error>?, [UInt8])
        /// The buffer is full: tell libcurl to pause; it hands the same bytes again after unpausing.
        case pause
        /// Nobody wants the bytes any more; drop them.
        case discard
    }

    enum CompletionAction {
        case none
        case resume(head: CheckedContinuation<HTTPResponseHead, any Error>?, body: CheckedContinuation<[UInt8]?, any Error>?, error: (any Error)?)
    }

    enum NextAction {
        case chunk([UInt8], unpause: Bool)
        case end
        case fail(any Error)
        case wait
    }

    private(set) var head: HTTPResponseHead?
    private var headWaiter: CheckedContinuation<HTTPResponseHead, any Error>?
    private var bodyWaiter: CheckedContinuation<[UInt8]?, any Error>?
    private var chunks: [[UInt8]] = []
    private var firstChunk = 0
    private var bufferedBytes = 0
    private var paused = false
    private(set) var finished = false
    private var failure: (any Error)?
    let bufferLimit: Int

    init(bufferLimit: Int) {
        self.bufferLimit = bufferLimit
    }

    // MARK: producer (curl thread)

    mutating func receivedHead(_ head: HTTPResponseHead) -> HeadAction {
        guard self.head == nil else { return .none }
        self.head = head
        if let waiter = headWaiter {
            headWaiter = nil
            return .resume(waiter, head)
        }
        return .none
    }

    mutating func received(_ bytes: [UInt8]) -> ChunkAction {
        if finished { return .discard }
        if let waiter = bodyWaiter {
            bodyWaiter = nil
            return .accepted(waiter, bytes)
        }
        if bufferedBytes >= bufferLimit {
            paused = true
            return .pause
        }
        chunks.append(bytes)
        bufferedBytes += bytes.count
        return .accepted(nil, bytes)
    }

    mutating func completed(error: (any Error)?) -> CompletionAction {
        guard !finished else { return .none }
        finished = true
        failure = error
        let head = headWaiter
        headWaiter = nil
        let body = bodyWaiter
        bodyWaiter = nil
        if head == nil, body == nil { return .none }
        return .resume(head: head, body: body, error: error)
    }

    // MARK: consumer (Swift task)

    /// Registers for the head; returns it when it is already there.
    mutating func waitForHead(_ continuation: CheckedContinuation<HTTPResponseHead, any Error>) -> Result<HTTPResponseHead, any Error>? {
        if let head { return .success(head) }
        if finished { return .failure(failure ?? TransportError(code: .protocolError, message: "no response", request: "")) }
        headWaiter = continuation
        return nil
    }

    mutating func nextChunk() -> NextAction {
        if firstChunk < chunks.count {
            let chunk = chunks[firstChunk]
            chunks[firstChunk] = []
            firstChunk += 1
            bufferedBytes -= chunk.count
            if firstChunk > 64, firstChunk * 2 > chunks.count {
                chunks.removeFirst(firstChunk)
                firstChunk = 0
            }
            var unpause = false
            if paused, bufferedBytes <= bufferLimit / 2 {
                paused = false
                unpause = true
            }
            return .chunk(chunk, unpause: unpause)
        }
        if finished {
            if let failure { return .fail(failure) }
            return .end
        }
        if paused {
            // Buffer drained while libcurl holds paused bytes: let it deliver them.
            paused = false
            return .chunk([], unpause: true)
        }
        return .wait
    }

    mutating func waitForChunk(_ continuation: CheckedContinuation<[UInt8]?, any Error>) {
        bodyWaiter = continuation
    }
}
