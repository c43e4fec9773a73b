/// An error from the task store: an opaque ``Code`` to match on and a message a person can act on.
///
/// The message names what was involved (the store's path or URL with any password removed, the task key or id,
/// the field) and, where there is one, the fix.
public struct TaskStoreError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, as an opaque, extensible code: match on the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case duplicate, notFound, invalidURL, invalidInput, unsupported, schema, database
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// A task with the same key is already stored.
        public static let duplicate = Code(.duplicate)
        /// No task has the given id.
        public static let notFound = Code(.notFound)
        /// The store URL or path cannot be used.
        public static let invalidURL = Code(.invalidURL)
        /// A submitted task is not valid (an empty key field, a try number below 1, ...).
        public static let invalidInput = Code(.invalidInput)
        /// The store URL names a backend this build does not support.
        public static let unsupported = Code(.unsupported)
        /// The store's schema cannot be used by this build (it is newer, or a migration failed).
        public static let schema = Code(.schema)
        /// The database failed, was busy for too long, or is closed.
        public static let database = Code(.database)

        /// The code's name, such as `duplicate`.
        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public var code: Code
    /// A sentence a person can act on.
    public var message: String
    /// The error this one wraps, if any (for example the SQLite error).
    public var underlying: (any Error)?
    /// The source file that raised the error.
    public var file: String
    /// The line in ``file`` that raised the error.
    public var line: Int

    /// Creates an error; `file` and `line` default to the caller's position.
    public init(
        _ code: Code, _ message: String, underlying: (any Error)? = nil,
        file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    /// The message; it never contains a password.
    public var description: String { message }
}
