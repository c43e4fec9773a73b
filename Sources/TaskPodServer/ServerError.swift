/// Why the API server cannot start: an opaque ``Code`` and a message that names the setting and the fix.
///
/// Messages never contain a token.
public struct ServerError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// `--listen` cannot be used (a malformed address, or a non-loopback one without tokens).
        public static let listen = Code("listen")
        /// The token file cannot be read.
        public static let tokens = Code("tokens")
        /// The TLS certificate or key cannot be used.
        public static let tls = Code("tls")

        public var description: String { name }
    }

    public var code: Code
    public var message: String
    public var file: String
    public var line: Int

    public init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    public var description: String { message }
}
