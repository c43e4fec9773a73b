import CCurl
import Synchronization

/// The context box of one libcurl transfer, shared by the curl thread (which owns the easy handle and the
/// C memory) and the Swift task reading the response. libcurl callbacks receive it unretained; the engine
/// keeps it alive until after `curl_easy_cleanup`.
final class CurlTransfer: Sendable {
    typealias HeadWaiter = CheckedContinuation<HTTPResponseHead, any Error>
    typealias BodyWaiter = CheckedContinuation<[UInt8]?, any Error>

    let request: HTTPRequest
    let state: Mutex<TransferStateMachine<HeadWaiter, BodyWaiter>>
    let label: String

    /// C resources, touched only on the curl thread.
    let resources: CurlResources

    init(request: HTTPRequest, bufferLimit: Int) {
        self.request = request
        self.label = "\(request.method.rawValue) \(CurlTransfer.redact(request.url))"
        self.state = Mutex(TransferStateMachine(bufferLimit: bufferLimit, label: label))
        self.resources = CurlResources()
    }

    /// The URL without any query string, which may carry continue tokens and selectors but is kept short.
    static func redact(_ url: String) -> String {
        url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
    }

    // MARK: producer side (curl thread)

    func deliverHead(status: Int) {
        let lines = resources.headerLines
        resources.headerLines = []
        let action = state.withLock { $0.receivedHead(HTTPResponseHead(status: status, headers: lines)) }
        if case .resume(let waiter, let head) = action { waiter.resume(returning: head) }
    }

    /// Returns false when libcurl must pause this transfer.
    func deliver(_ bytes: [UInt8]) -> Bool {
        let action = state.withLock { $0.received(bytes) }
        switch action {
        case .accepted(let waiter, let bytes):
            waiter?.resume(returning: bytes)
            return true
        case .pause:
            return false
        case .discard:
            return true
        }
    }

    func complete(error: (any Error)?) {
        let (action, noHead) = state.withLock { ($0.completed(error: error), $0.noHead) }
        guard case .resume(let head, let body, let error) = action else { return }
        if let error {
            head?.resume(throwing: error)
            body?.resume(throwing: error)
        } else {
            head?.resume(throwing: noHead)
            body?.resume(returning: nil)
        }
    }

    // MARK: consumer side (Swift task)

    /// Gives up on the transfer: a waiting reader fails as cancelled at once, and the curl thread removes it.
    func cancel(engine: CurlEngine) {
        let error = TransportError(code: .cancelled, message: "cancelled", request: label)
        guard case .stop(let head, let body) = state.withLock({ $0.cancel(error: error) }) else { return }
        head?.resume(throwing: error)
        body?.resume(throwing: error)
        engine.cancel(self)
    }

    func head(engine: CurlEngine) async throws -> HTTPResponseHead {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: HeadWaiter) in
                switch state.withLock({ $0.waitForHead(continuation) }) {
                case .head(let head): continuation.resume(returning: head)
                case .fail(let error): continuation.resume(throwing: error)
                case .wait: break
                }
            }
        } onCancel: {
            cancel(engine: engine)
        }
    }

    /// The next body chunk, or nil at the end of the body.
    func nextChunk(engine: CurlEngine) async throws -> [UInt8]? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: BodyWaiter) in
                switch state.withLock({ $0.nextChunk(continuation) }) {
                case .chunk(let bytes, let unpause):
                    if unpause { engine.unpause(self) }
                    continuation.resume(returning: bytes)
                case .end: continuation.resume(returning: nil)
                case .fail(let error): continuation.resume(throwing: error)
                case .wait(let unpause):
                    if unpause { engine.unpause(self) }
                }
            }
        } onCancel: {
            cancel(engine: engine)
        }
    }
}

/// The C memory of one transfer. Confined to the curl thread: only `CurlLoop` and the libcurl callbacks it
/// runs touch it, which is why it needs no lock.
final class CurlResources: @unchecked Sendable {
    var easy: UnsafeMutableRawPointer?
    var headerList: UnsafeMutablePointer<curl_slist>?
    var connectTo: UnsafeMutablePointer<curl_slist>?
    let errorBuffer: UnsafeMutablePointer<CChar>
    var headerLines: [(name: String, value: String)] = []

    init() {
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        if let headerList { curl_slist_free_all(headerList) }
        if let connectTo { curl_slist_free_all(connectTo) }
        errorBuffer.deallocate()
    }
}
