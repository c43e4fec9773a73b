/// Why a ``KubeSim`` could not serve.
public struct KubeSimError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, as an opaque code to compare against.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case listenFailed, auditLogUnavailable, notRunning, invalidNamespace, invalidFault, tlsSetupFailed, invalidRBAC
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The listener could not be set up (address in use, bad host).
        public static let listenFailed = Code(.listenFailed)
        /// The audit log file could not be opened.
        public static let auditLogUnavailable = Code(.auditLogUnavailable)
        /// The server stopped (or failed) before it was listening.
        public static let notRunning = Code(.notRunning)
        /// A kubeconfig was asked for a namespace that is not a DNS-1123 label.
        public static let invalidNamespace = Code(.invalidNamespace)
        /// A fault setting is out of range or malformed.
        public static let invalidFault = Code(.invalidFault)
        /// The certificates for HTTPS could not be made (is `openssl` installed?) or loaded.
        public static let tlsSetupFailed = Code(.tlsSetupFailed)
        /// An RBAC document (`--rbac`) does not parse or lacks a field.
        public static let invalidRBAC = Code(.invalidRBAC)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// What happened and, when it helps, how to fix it.
    public var message: String
    /// Where the error was raised.
    public var file: String
    public var line: Int

    init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    public var description: String { "KubeSimError.\(code): \(message)" }
}
