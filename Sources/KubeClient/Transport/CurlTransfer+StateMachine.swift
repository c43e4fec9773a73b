/// The life of one transfer as seen from both sides: the curl thread producing the head, body chunks and the
/// completion, and a Swift task consuming them (or cancelling). Pure value logic: the caller performs the
/// returned actions (resuming waiters, pausing or unpausing libcurl) outside the lock.
///
/// Generic over the waiters so that it is tested with plain values; `CurlTransfer` uses continuations.
///
///     awaitingHead ──head──▶ streaming ◀──drained──▶ paused
///          │                     │                     │
///          └──────complete / cancel ──▶ finished ◀─────┘
struct TransferStateMachine<HeadWaiter, BodyWaiter> {
    enum HeadAction {
        case none
        case resume(HeadWaiter, HTTPResponseHead)
    }

    enum ChunkAction {
        /// The bytes were buffered (no waiter) or are handed to the waiting consumer; keep going.
        case accepted(BodyWaiter?, [UInt8])
        /// The buffer is full: tell libcurl to pause; it hands the same bytes again after unpausing.
        case pause
        /// Nobody wants the bytes any more (finished or cancelled); drop them.
        case discard
    }

    enum CompletionAction {
        case none
        /// Resume the waiters with `error`; without one, the body waiter gets the end of the body and the head
        /// waiter ``TransferStateMachine/noHead``.
        case resume(head: HeadWaiter?, body: BodyWaiter?, error: (any Error)?)
    }

    enum CancelAction {
        /// The transfer had ended already: nothing to stop.
        case none
        /// Fail the waiters with the error and have the curl thread remove the transfer.
        case stop(head: HeadWaiter?, body: BodyWaiter?)
    }

    enum HeadReady {
        case head(HTTPResponseHead)
        case fail(any Error)
        /// The waiter is registered; the head or the completion resumes it.
        case wait
    }

    enum NextAction {
        case chunk([UInt8], unpause: Bool)
        case end
        case fail(any Error)
        /// The waiter is registered; the next chunk or the completion resumes it. When `unpause`, libcurl
        /// holds paused bytes and must be unpaused to deliver them.
        case wait(unpause: Bool)
    }

    /// Body chunks received and not read yet, after the head.
    private struct Body {
        let head: HTTPResponseHead
        private var chunks: [[UInt8]] = []
        private var first = 0
        private(set) var bytes = 0

        init(head: HTTPResponseHead) {
            self.head = head
        }

        mutating func append(_ chunk: [UInt8]) {
            chunks.append(chunk)
            bytes += chunk.count
        }

        mutating func popFirst() -> [UInt8]? {
            guard first < chunks.count else { return nil }
            let chunk = chunks[first]
            chunks[first] = []
            first += 1
            bytes -= chunk.count
            if first == chunks.count {
                chunks.removeAll(keepingCapacity: true)
                first = 0
            } else if first > 64, first * 2 > chunks.count {
                chunks.removeFirst(first)
                first = 0
            }
            return chunk
        }
    }

    private enum State {
        /// No response head yet; the consumer may be waiting for it.
        case awaitingHead(HeadWaiter?)
        /// The head is in; chunks are buffered below the limit, or handed to the consumer waiting on an empty buffer.
        case streaming(Body, waiter: BodyWaiter?)
        /// The buffer reached the limit and libcurl was told to pause; it keeps the next bytes until unpaused.
        case paused(Body)
        /// Done, with an error or cancelled; chunks received before the end are still read before it.
        case finished(Body?, failure: (any Error)?)
        /// Only while an event method rewrites the state, so that the buffer is not copied.
        case modifying
    }

    private var state: State = .awaitingHead(nil)
    let bufferLimit: Int
    /// The request, for errors (`TransportError.request`).
    let label: String

    init(bufferLimit: Int, label: String) {
        self.bufferLimit = bufferLimit
        self.label = label
    }

    var isAwaitingHead: Bool {
        if case .awaitingHead = state { return true }
        return false
    }

    var isFinished: Bool {
        if case .finished = state { return true }
        return false
    }

    /// The error for a transfer that ended without a response head and without an error of its own.
    var noHead: TransportError {
        TransportError(code: .protocolError, message: "the server sent no response head", request: label)
    }

    // MARK: producer (curl thread)

    mutating func receivedHead(_ head: HTTPResponseHead) -> HeadAction {
        guard case .awaitingHead(let waiter) = state else { return .none }
        state = .streaming(Body(head: head), waiter: nil)
        return waiter.map { .resume($0, head) } ?? .none
    }

    mutating func received(_ bytes: [UInt8]) -> ChunkAction {
        switch state {
        case .awaitingHead:
            // The write callback completes the head before it hands over a body.
            assertionFailure("body bytes before the response head")
            return .discard
        case .streaming(var body, let waiter):
            if let waiter {
                state = .streaming(body, waiter: nil)
                return .accepted(waiter, bytes)
            }
            if body.bytes >= bufferLimit {
                state = .paused(body)
                return .pause
            }
            state = .modifying
            body.append(bytes)
            state = .streaming(body, waiter: nil)
            return .accepted(nil, bytes)
        case .paused:
            return .pause
        case .finished:
            return .discard
        case .modifying:
            preconditionFailure("reentrant transfer state")
        }
    }

    /// The transfer ended on the curl thread, with `error` or without.
    mutating func completed(error: (any Error)?) -> CompletionAction {
        switch state {
        case .awaitingHead(let waiter):
            state = .finished(nil, failure: error ?? noHead)
            return waiter.map { .resume(head: $0, body: nil, error: error) } ?? .none
        case .streaming(let body, let waiter):
            state = .finished(body, failure: error)
            return waiter.map { .resume(head: nil, body: $0, error: error) } ?? .none
        case .paused(let body):
            state = .finished(body, failure: error)
            return .none
        case .finished:
            return .none
        case .modifying:
            preconditionFailure("reentrant transfer state")
        }
    }

    // MARK: consumer (Swift task)

    /// The consumer gives up (its task was cancelled, or it dropped the response): the waiters fail with
    /// `error`, chunks not read yet are dropped, later bytes and the completion are ignored.
    mutating func cancel(error: any Error) -> CancelAction {
        switch state {
        case .awaitingHead(let waiter):
            state = .finished(nil, failure: error)
            return .stop(head: waiter, body: nil)
        case .streaming(let body, let waiter):
            state = .finished(Body(head: body.head), failure: error)
            return .stop(head: nil, body: waiter)
        case .paused(let body):
            state = .finished(Body(head: body.head), failure: error)
            return .stop(head: nil, body: nil)
        case .finished:
            return .none
        case .modifying:
            preconditionFailure("reentrant transfer state")
        }
    }

    /// The head when it is there; otherwise registers `waiter` for it.
    mutating func waitForHead(_ waiter: HeadWaiter) -> HeadReady {
        switch state {
        case .awaitingHead(let existing):
            precondition(existing == nil, "one head waiter at a time")
            state = .awaitingHead(waiter)
            return .wait
        case .streaming(let body, _), .paused(let body):
            return .head(body.head)
        case .finished(let body, let failure):
            if let body { return .head(body.head) }
            return .fail(failure ?? noHead)
        case .modifying:
            preconditionFailure("reentrant transfer state")
        }
    }

    /// The next chunk when one is buffered, the end, or a failure; otherwise registers `waiter` for the next one.
    mutating func nextChunk(_ waiter: BodyWaiter) -> NextAction {
        switch state {
        case .awaitingHead:
            return .fail(TransportError(code: .protocolError, message: "the body was read before the head", request: label))
        case .streaming(var body, let existing):
            precondition(existing == nil, "one body waiter at a time")
            state = .modifying
            guard let chunk = body.popFirst() else {
                state = .streaming(body, waiter: waiter)
                return .wait(unpause: false)
            }
            state = .streaming(body, waiter: nil)
            return .chunk(chunk, unpause: false)
        case .paused(var body):
            state = .modifying
            guard let chunk = body.popFirst() else {
                // Drained while libcurl holds paused bytes: wait for them.
                state = .streaming(body, waiter: waiter)
                return .wait(unpause: true)
            }
            if body.bytes <= bufferLimit / 2 {
                state = .streaming(body, waiter: nil)
                return .chunk(chunk, unpause: true)
            }
            state = .paused(body)
            return .chunk(chunk, unpause: false)
        case .finished(var body, let failure):
            state = .modifying
            let chunk = body?.popFirst()
            state = .finished(body, failure: failure)
            if let chunk { return .chunk(chunk, unpause: false) }
            if let failure { return .fail(failure) }
            return .end
        case .modifying:
            preconditionFailure("reentrant transfer state")
        }
    }
}
