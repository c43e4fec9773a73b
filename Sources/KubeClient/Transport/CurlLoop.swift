import CCurl
import Foundation
import Synchronization

/// The body of the curl thread: drains commands, drives the multi handle, completes transfers.
/// Everything here runs on that one thread.
struct CurlLoop {
    let multi: UnsafeMutableRawPointer
    let commands: CommandQueue
    /// Transfers in flight, retained here until after `curl_easy_cleanup`.
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]

    init(multi: UnsafeMutableRawPointer, commands: CommandQueue) {
        self.multi = multi
        self.commands = commands
    }

    mutating func run() {
        var running: Int32 = 0
        while true {
            let pending = commands.pending.withLock { queue in
                let pending = queue.commands
                queue.commands.removeAll(keepingCapacity: true)
                return pending
            }
            for command in pending {
                if case .shutdown(let continuation) = command {
                    stop()
                    continuation?.resume()
                    return
                }
                handle(command)
            }
            curl_multi_perform(multi, &running)
            drainMessages()
            curl_multi_poll(multi, nil, 0, 1000, nil)
        }
    }

    /// Fails every transfer still in flight and closes the multi handle with its connections.
    ///
    /// The cleanup runs under the command queue's lock, which `CurlEngine.submit` holds while it wakes the
    /// handle up; the queue is closed already (the shutdown command closed it), so no later wakeup follows.
    private mutating func stop() {
        for easy in Array(active.keys) {
            let label = active[easy]?.label ?? ""
            finish(easy: easy, error: TransportError(code: .cancelled, message: "the client was shut down", request: label))
        }
        commands.pending.withLock { [multi] queue in
            queue.closed = true
            curl_multi_cleanup(multi)
        }
    }

    private mutating func handle(_ command: CurlEngine.Command) {
        switch command {
        case .shutdown:
            break  // handled by run()
        case .add(let transfer):
            guard let easy = CurlLoop.makeEasy(for: transfer) else { return }
            active[easy] = transfer
            let code = curl_multi_add_handle(multi, easy)
            if code != CURLM_OK {
                finish(easy: easy, error: TransportError(code: .setup, message: String(cString: curl_multi_strerror(code)), request: transfer.label))
            }
        case .cancel(let transfer):
            guard let easy = transfer.resources.easy, active[easy] != nil else {
                transfer.complete(error: TransportError(code: .cancelled, message: "cancelled", request: transfer.label))
                return
            }
            finish(easy: easy, error: TransportError(code: .cancelled, message: "cancelled", request: transfer.label))
        case .unpause(let transfer):
            guard let easy = transfer.resources.easy, active[easy] != nil else { return }
            curl_easy_pause(easy, CURLPAUSE_CONT)
        }
    }

    private mutating func drainMessages() {
        var left: Int32 = 0
        while let message = curl_multi_info_read(multi, &left) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let result = message.pointee.data.result
            guard let transfer = active[easy] else { continue }
            if result == CURLE_OK {
                var status = 0
                _ = taskpod_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
                transfer.deliverHead(status: status)
                finish(easy: easy, error: nil)
            } else {
                let detail = String(cString: transfer.resources.errorBuffer)
                let message = detail.isEmpty ? String(cString: curl_easy_strerror(result)) : detail
                finish(easy: easy, error: TransportError(code: CurlLoop.code(for: result), message: message, request: transfer.label))
            }
        }
    }

    private mutating func finish(easy: UnsafeMutableRawPointer, error: (any Error)?) {
        guard let transfer = active.removeValue(forKey: easy) else { return }
        curl_multi_remove_handle(multi, easy)
        curl_easy_cleanup(easy)
        transfer.resources.easy = nil
        transfer.complete(error: error)
    }

    static func code(for result: CURLcode) -> TransportError.Code {
        switch result {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_SEND_ERROR,
            CURLE_RECV_ERROR, CURLE_GOT_NOTHING:
            return .connect
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_CRL_BADFILE:
            return .tls
        case CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_WEIRD_SERVER_REPLY:
            return .protocolError
        default:
            return .setup
        }
    }

    // MARK: easy handle setup

    private static func makeEasy(for transfer: CurlTransfer) -> UnsafeMutableRawPointer? {
        guard let easy = curl_easy_init() else {
            transfer.complete(error: TransportError(code: .setup, message: "curl_easy_init failed", request: transfer.label))
            return nil
        }
        let request = transfer.request
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        var problems: [String] = []
        func check(_ code: CURLcode, _ what: String) {
            if code != CURLE_OK { problems.append("\(what): \(String(cString: curl_easy_strerror(code)))") }
        }

        let resources = transfer.resources
        resources.easy = easy
        check(taskpod_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, resources.errorBuffer), "error buffer")
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for (name, value) in request.headers { list = curl_slist_append(list, "\(name): \(value)") }
        // libcurl adds "Expect: 100-continue" to large bodies; the API server does not need the round trip.
        list = curl_slist_append(list, "Expect:")
        resources.headerList = list
        check(taskpod_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list), "headers")
        if let connectTo = request.connectTo {
            resources.connectTo = curl_slist_append(nil, connectTo)
            check(taskpod_easy_setopt_slist(easy, CURLOPT_CONNECT_TO, resources.connectTo), "connect-to")
        }
        if let proxy = request.proxy {
            check(taskpod_easy_setopt_string(easy, CURLOPT_PROXY, proxy), "proxy")
        }
        check(taskpod_easy_setopt_string(easy, CURLOPT_URL, request.url), "url")
        check(taskpod_easy_setopt_pointer(easy, CURLOPT_PRIVATE, context), "private")
        check(taskpod_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1), "nosignal")
        check(taskpod_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1), "keepalive")
        check(taskpod_easy_setopt_long(easy, CURLOPT_TCP_KEEPIDLE, 60), "keepidle")
        check(taskpod_easy_setopt_long(easy, CURLOPT_TCP_KEEPINTVL, 30), "keepintvl")
        check(taskpod_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, 10_000), "connect timeout")
        check(taskpod_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS)), "http version")
        check(taskpod_easy_setopt_long(easy, CURLOPT_PIPEWAIT, 1), "pipewait")
        check(taskpod_easy_setopt_string(easy, CURLOPT_ACCEPT_ENCODING, ""), "accept-encoding")
        if let timeout = request.timeout {
            let (seconds, attoseconds) = timeout.components
            let milliseconds = Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
            check(taskpod_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, max(1, milliseconds)), "timeout")
        }

        switch request.method {
        case .get:
            break
        case .post, .put, .patch, .delete:
            if let body = request.body {
                check(taskpod_easy_setopt_long(easy, CURLOPT_POSTFIELDSIZE, body.count), "body size")
                // COPYPOSTFIELDS copies the bytes: they need not outlive this call. A trailing zero keeps the
                // pointer valid for an empty body.
                var bytes = body + [0]
                bytes.withUnsafeMutableBytes { buffer in
                    check(taskpod_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, buffer.baseAddress), "body")
                }
            }
            if request.method != .post || request.body == nil {
                check(taskpod_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method.rawValue), "method")
            }
        }

        let tls = request.tls
        if let ca = tls.caPEM {
            var ca = ca
            ca.withUnsafeMutableBytes { check(taskpod_easy_setopt_blob(easy, CURLOPT_CAINFO_BLOB, $0.baseAddress, $0.count), "CA") }
        } else if let file = tls.caFile {
            check(taskpod_easy_setopt_string(easy, CURLOPT_CAINFO, file), "CA file")
        }
        if let certificate = tls.clientCertificatePEM {
            var certificate = certificate
            certificate.withUnsafeMutableBytes {
                check(taskpod_easy_setopt_blob(easy, CURLOPT_SSLCERT_BLOB, $0.baseAddress, $0.count), "client certificate")
            }
            check(taskpod_easy_setopt_string(easy, CURLOPT_SSLCERTTYPE, "PEM"), "client certificate type")
        }
        if let key = tls.clientKeyPEM {
            var key = key
            key.withUnsafeMutableBytes {
                check(taskpod_easy_setopt_blob(easy, CURLOPT_SSLKEY_BLOB, $0.baseAddress, $0.count), "client key")
            }
            check(taskpod_easy_setopt_string(easy, CURLOPT_SSLKEYTYPE, "PEM"), "client key type")
        }
        check(taskpod_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, tls.verifyPeer ? 1 : 0), "verify peer")
        check(taskpod_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, tls.verifyPeer ? 2 : 0), "verify host")

        check(taskpod_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION, curlWriteCallback), "write callback")
        check(taskpod_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, context), "write data")
        check(taskpod_easy_setopt_data_callback(easy, CURLOPT_HEADERFUNCTION, curlHeaderCallback), "header callback")
        check(taskpod_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, context), "header data")

        if !problems.isEmpty {
            curl_easy_cleanup(easy)
            transfer.resources.easy = nil
            transfer.complete(error: TransportError(code: .setup, message: problems.joined(separator: "; "), request: transfer.label))
            return nil
        }
        return easy
    }
}

/// libcurl's write callback: hands the bytes to the transfer; returns exactly `size * nmemb`, or
/// CURL_WRITEFUNC_PAUSE when the reader is behind.
private func curlWriteCallback(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let context else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    guard length > 0, let data else { return length }
    if transfer.state.withLock({ $0.isAwaitingHead }) {
        // A body before the end of headers (HTTP/1.0 style): complete the head first.
        var status = 0
        if let easy = transfer.resources.easy {
            _ = taskpod_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        }
        transfer.deliverHead(status: status)
    }
    let bytes = data.withMemoryRebound(to: UInt8.self, capacity: length) {
        Array(UnsafeBufferPointer(start: $0, count: length))
    }
    return transfer.deliver(bytes) ? length : taskpod_writefunc_pause()
}

/// libcurl's header callback: collects header lines; an empty line ends a header block.
private func curlHeaderCallback(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let context else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    guard let data, length > 0 else { return length }
    let line = data.withMemoryRebound(to: UInt8.self, capacity: length) {
        String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
    }
    let trimmed = line.trimmingTrailingNewline()
    if trimmed.isEmpty {
        var status = 0
        if let easy = transfer.resources.easy {
            _ = taskpod_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        }
        if status >= 200 {
            transfer.deliverHead(status: status)
        } else {
            transfer.resources.headerLines = []
        }
    } else if let colon = trimmed.firstIndex(of: ":") {
        let name = trimmed[..<colon].lowercased()
        let value = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        transfer.resources.headerLines.append((name: name, value: value))
    }
    return length
}

extension String {
    fileprivate func trimmingTrailingNewline() -> String {
        var result = Substring(self)
        while let last = result.last, last == "\n" || last == "\r" { result = result.dropLast() }
        return String(result)
    }
}
