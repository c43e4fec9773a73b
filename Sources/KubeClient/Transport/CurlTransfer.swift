import CCurl
import Synchronization

/// The context box of one libcurl transfer, shared by the curl thread (which owns the easy handle and the
/// C memory) and the Swift task reading the response. libcurl callbacks receive it unretained; the engine
/// keeps it alive until after `curl_easy_cleanup`.
final class CurlTransfer: Sendable {
    let request: HTTPRequest
    let state: Mutex<TransferStateMachine>
    let label: String

    /// C resources, touched only on the curl thread.
    let resources: CurlResources

    init(request: HTTPRequest, bufferLimit: Int) {
        self.request = request
        self.state = Mutex(TransferStateMachine(bufferLimit: bufferLimit))
        self.resources = CurlResources()
        self.label = "\(request.method.rawValue) \(CurlTransfer.redact(request.url))"
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
        let action = state.withLock { $0.completed(error: error) }
        guard case .resume(let head, let body, let error) = action else { return }
        if let error {
            head?.resume(throwing: error)
            body?.resume(throwing: error)
        } else {
            head?.resume(throwing: TransportError(code: .protocolError, message: "the server sent no response head", request: label))
            body?.resume(returning: nil)
        }
    }

    // MARK: consumer side (Swift task)

    func head(engine: CurlEngine) async throws -> HTTPResponseHead {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponseHead, any Error>) in
                let ready = state.withLock { $0.waitForHead(continuation) }
                switch ready {
                case .success(let head): continuation.resume(returning: head)
                case .failure(let error): continuation.resume(throwing: error)
                case nil: break
                }
            }
        } onCancel: {
            engine.cancel(self)
        }
    }

    /// The next body chunk, or nil at the end of the body.
    func nextChunk(engine: CurlEngine) async throws -> [UInt8]? {
        while true {
            let chunk: [UInt8]? = try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
                    let action = state.withLock { state in
                        let action = state.nextChunk()
                        if case .wait = action { state.waitForChunk(continuation) }
                        return action
                    }
                    switch action {
                    case .chunk(let bytes, let unpause):
                        if unpause { engine.unpause(self) }
                        continuation.resume(returning: bytes)
                    case .end: continuation.resume(returning: nil)
                    case .fail(let error): continuation.resume(throwing: error)
                    case .wait: break
                    }
                }
            } onCancel: {
                engine.cancel(self)
            }
            if let chunk, chunk.isEmpty { continue }
            return chunk
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
