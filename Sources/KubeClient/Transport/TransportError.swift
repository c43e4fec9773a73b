/// A request that failed before an HTTP response arrived: connection refused, TLS failure, timeout, cancellation.
public struct TransportError: Error, CustomStringConvertible, Sendable, Hashable {
    /// An opaque code: match on the static values.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public static let connect = Code(name: "connect")
        public static let tls = Code(name: "tls")
        public static let timeout = Code(name: "timeout")
        public static let cancelled = Code(name: "cancelled")
        public static let protocolError = Code(name: "protocol")
        public static let setup = Code(name: "setup")
        public var description: String { name }
    }

    public var code: Code
    /// libcurl's message (it never holds request headers, so no token).
    public var message: String
    /// The method and URL of the request (URLs carry no credentials in taskpod).
    public var request: String

    public var description: String { "\(request): \(code): \(message)" }

    /// Connection-level failures worth retrying.
    public var isRetryable: Bool { code == .connect || code == .timeout || code == .protocolError }
}
