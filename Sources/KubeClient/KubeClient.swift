import Foundation
import JSON
import Logging

/// A Kubernetes API client over libcurl for the calls taskpod makes: Pods (create, get, list, patch, delete,
/// log, watch).
///
/// Requests that fail with a connection error, 429, 500, 502, 503 or 504 are retried with exponential
/// backoff and jitter (honouring `Retry-After`); every other answer is returned or thrown as ``KubeError``.
///
/// ```swift
/// let client = KubeClient(config: try .load(), logger: logger)
/// let pods = try await client.listPods(namespace: "default", labelSelector: "app=x")
/// ```
public final class KubeClient: Sendable {
    public let config: KubeConfig
    let engine: CurlEngine
    let logger: Logger
    let retry: RetryPolicy
    let credentials: CredentialProvider
    let bucket: TokenBucket
    let inFlight: AsyncSemaphore
    /// Where requests, watch events and relists are counted.
    public let meters: KubeClientMeters

    /// How requests are retried.
    public struct RetryPolicy: Sendable {
        public var maxAttempts: Int
        public var initialBackoff: Duration
        public var maxBackoff: Duration
        /// A bound on the whole of one call's retries.
        public var maxTotal: Duration

        public init(maxAttempts: Int = 6, initialBackoff: Duration = .milliseconds(100),
                    maxBackoff: Duration = .seconds(10), maxTotal: Duration = .seconds(60)) {
            self.maxAttempts = maxAttempts
            self.initialBackoff = initialBackoff
            self.maxBackoff = maxBackoff
            self.maxTotal = maxTotal
        }
    }

    /// - Parameters:
    ///   - config: where the API server is and how to authenticate.
    ///   - logger: where retries and refreshes are logged (never with credentials).
    ///   - retry: how failed requests are retried.
    ///   - pacing: client-side QPS, burst and in-flight bound.
    ///   - meters: where requests are counted and timed; by default the process's bootstrapped metrics factory.
    public init(
        config: KubeConfig, logger: Logger, retry: RetryPolicy = RetryPolicy(), pacing: Pacing = Pacing(),
        engine: CurlEngine = .shared, meters: KubeClientMeters = KubeClientMeters()
    ) {
        self.meters = meters
        self.config = config
        self.engine = engine
        self.logger = logger
        self.retry = retry
        self.credentials = CredentialProvider(credentials: config.credentials)
        self.bucket = TokenBucket(qps: pacing.qps, burst: pacing.burst)
        self.inFlight = AsyncSemaphore(max(1, pacing.maxInFlight))
    }

    // MARK: requests

    func makeRequest(
        _ method: HTTPRequest.Method, _ path: String, query: [(String, String)] = [], body: [UInt8]? = nil,
        contentType: String = "application/json", accept: String = "application/json", timeout: Duration? = .seconds(30)
    ) async throws -> HTTPRequest {
        var server = config.server
        var connectTo: String?
        if let serverName = config.tls.serverName, let url = URL(string: server), let host = url.host {
            // Verify the certificate against tls-server-name while connecting to the configured address.
            let port = url.port ?? (url.scheme == "https" ? 443 : 80)
            server = "\(url.scheme ?? "https")://\(serverName):\(port)"
            connectTo = "\(serverName):\(port):\(host):\(port)"
        }
        var url = server + path
        if !query.isEmpty {
            url += "?" + query.map { "\($0.0)=\(KubeClient.percentEncode($0.1))" }.joined(separator: "&")
        }
        var headers: [(name: String, value: String)] = [("Accept", accept), ("User-Agent", "taskpod/0.1")]
        if body != nil { headers.append(("Content-Type", contentType)) }
        let material = try await credentials.material()
        if let token = material.bearer { headers.append(("Authorization", "Bearer \(token)")) }
        var tls = config.tls
        if let certificate = material.clientCertificatePEM, let key = material.clientKeyPEM {
            tls.clientCertificatePEM = certificate
            tls.clientKeyPEM = key
        }
        var request = HTTPRequest(method: method, url: url, headers: headers, body: body, timeout: timeout, tls: tls)
        request.proxy = config.proxyURL
        request.connectTo = connectTo
        return request
    }

    /// Sends a request with retries; returns a 2xx response or throws ``KubeError`` / ``TransportError``.
    func send(
        _ method: HTTPRequest.Method, _ path: String, query: [(String, String)] = [], body: [UInt8]? = nil,
        contentType: String = "application/json", accept: String = "application/json"
    ) async throws -> HTTPResponse {
        try await withRetries(method, path) {
            try await bucket.acquire()
            let request = try await makeRequest(method, path, query: query, body: body, contentType: contentType, accept: accept)
            let engine = self.engine
            let meters = self.meters
            let response = try await inFlight.withUnit {
                try await meters.measure(method, path, query: query) { try await engine.perform(request) }
            }
            guard (200..<300).contains(response.status) else {
                throw KubeClient.error(for: response.head, body: response.body, request: "\(method.rawValue) \(path)")
            }
            return response
        }
    }

    func withRetries<T>(_ method: HTTPRequest.Method, _ path: String, _ attempt: () async throws -> T) async throws -> T {
        let clock = ContinuousClock()
        let start = clock.now
        var backoff = retry.initialBackoff
        var number = 1
        var refreshed = false
        while true {
            do {
                return try await attempt()
            } catch let error as KubeError where error.httpStatus == 401 && !refreshed && credentials.canRefresh {
                // The token rotated or the plugin's credential expired early: fetch fresh ones, once.
                logger.info("401 Unauthorized; refreshing credentials", metadata: ["k8s.verb": "\(method.rawValue)", "k8s.path": "\(path)"])
                await credentials.invalidate()
                refreshed = true
                continue
            } catch let error as KubeError where error.isRetryable {
                guard number < retry.maxAttempts else { throw error }
                var wait = backoff
                if let seconds = error.retryAfterSeconds { wait = max(wait, .seconds(seconds)) }
                guard clock.now - start + wait < retry.maxTotal else { throw error }
                logger.debug("retrying after an API error", metadata: [
                    "k8s.verb": "\(method.rawValue)", "k8s.path": "\(path)", "k8s.status": "\(error.httpStatus)",
                    "retry.attempt": "\(number)",
                ])
                try await Task.sleep(for: KubeClient.jittered(wait))
            } catch let error as TransportError where error.isRetryable {
                guard number < retry.maxAttempts, clock.now - start + backoff < retry.maxTotal else { throw error }
                logger.debug("retrying after a connection error", metadata: [
                    "k8s.verb": "\(method.rawValue)", "k8s.path": "\(path)", "error": "\(error.message)",
                    "retry.attempt": "\(number)",
                ])
                try await Task.sleep(for: KubeClient.jittered(backoff))
            }
            number += 1
            backoff = min(backoff * 2, retry.maxBackoff)
        }
    }

    static func jittered(_ duration: Duration) -> Duration {
        duration * Double.random(in: 0.8...1.2)
    }

    /// The error for a non-2xx response: its Status when the body is one.
    static func error(for head: HTTPResponseHead, body: [UInt8], request: String) -> KubeError {
        let status = try? JSONDecoder().decode(Status.self, from: Data(body))
        let retryAfter = head.header("retry-after").flatMap { Int($0) } ?? status?.details?.retryAfterSeconds
        var decoded = status
        if decoded?.kind != "Status" {
            let text = String(decoding: body.prefix(512), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            decoded = Status(message: text.isEmpty ? nil : text, reason: nil, code: head.status)
        }
        return KubeError(httpStatus: head.status, status: decoded, request: request, retryAfterSeconds: retryAfter)
    }

    static func percentEncode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    static func decode<T: Decodable>(_ type: T.Type, from response: HTTPResponse, request: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(response.body))
        } catch {
            throw KubeError(
                httpStatus: response.status,
                status: Status(message: "cannot decode the response as \(T.self): \(error)", reason: "InternalError", code: response.status),
                request: request
            )
        }
    }
}
