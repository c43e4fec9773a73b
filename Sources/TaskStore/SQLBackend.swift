/// A database the task store runs on: the only place that knows which database that is.
///
/// SQL handed to a backend is portable: `?` placeholders (a PostgreSQL backend rewrites them to `$1`, `$2`, ...
/// with ``SQLDialect/render(_:)``), one statement per call, single-quoted string literals, and the type names and
/// clauses that differ taken from ``SQLDialect``.
protocol SQLBackend: SQLExecutor {
    /// Runs `body` in a write transaction (on SQLite `BEGIN IMMEDIATE`), committing when it returns and rolling
    /// back when it throws. When the database stays busy the whole transaction is retried a few times, so
    /// `body` must only touch the database through the executor it is given.
    func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T

    /// Closes the connection; later calls throw ``SQLError/Kind/closed``. Closing twice is a no-op.
    func close() async throws
}

/// Runs single SQL statements.
protocol SQLExecutor: Sendable {
    var dialect: SQLDialect { get }

    /// Runs one statement with its `?` placeholders bound to `binds`, in order, and returns its rows.
    @discardableResult
    func execute(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow]
}

extension SQLExecutor {
    @discardableResult
    func execute(_ sql: String, _ binds: SQLValue...) async throws -> [SQLRow] {
        try await execute(sql, binds)
    }
}

/// A value bound to a placeholder or read from a column.
enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    init(_ value: String?) { self = value.map { .text($0) } ?? .null }
    init(_ value: Int64?) { self = value.map { .integer($0) } ?? .null }
    init(_ value: Int) { self = .integer(Int64(value)) }
    init(_ value: Double?) { self = value.map { .real($0) } ?? .null }
}

/// One result row, by column name.
struct SQLRow: Sendable {
    var values: [String: SQLValue]

    init(_ values: [String: SQLValue]) { self.values = values }

    subscript(column: String) -> SQLValue { values[column] ?? .null }

    func int64(_ column: String) throws(SQLError) -> Int64 {
        guard let value = optionalInt64(column) else { throw .decoding(column: column, expected: "an integer") }
        return value
    }

    func optionalInt64(_ column: String) -> Int64? {
        switch self[column] {
        case .integer(let value): value
        case .real(let value): Int64(exactly: value)
        case .text(let text): Int64(text)
        case .null, .blob: nil
        }
    }

    func double(_ column: String) throws(SQLError) -> Double {
        guard let value = optionalDouble(column) else { throw .decoding(column: column, expected: "a number") }
        return value
    }

    func optionalDouble(_ column: String) -> Double? {
        switch self[column] {
        case .integer(let value): Double(value)
        case .real(let value): value
        case .text(let text): Double(text)
        case .null, .blob: nil
        }
    }

    func string(_ column: String) throws(SQLError) -> String {
        guard let value = optionalString(column) else { throw .decoding(column: column, expected: "text") }
        return value
    }

    func optionalString(_ column: String) -> String? {
        switch self[column] {
        case .text(let text): text
        case .blob(let bytes): String(decoding: bytes, as: UTF8.self)
        case .integer(let value): String(value)
        case .real(let value): String(value)
        case .null: nil
        }
    }

    func bytes(_ column: String) -> [UInt8] {
        switch self[column] {
        case .blob(let bytes): bytes
        case .text(let text): Array(text.utf8)
        case .integer, .real, .null: []
        }
    }
}

/// A failure of the database layer, classified so that the store can react (retry, report a duplicate) without
/// knowing which database it runs on.
struct SQLError: Error, CustomStringConvertible, Sendable {
    enum Kind: Sendable, Hashable {
        /// Locked by another connection for longer than the busy timeout: worth retrying.
        case busy
        case uniqueViolation
        case foreignKeyViolation
        /// The statement names a table that does not exist.
        case undefinedTable
        /// The backend was closed.
        case closed
        /// A stored value is not what the store expects.
        case decoding
        case other
    }

    var kind: Kind
    var message: String
    var underlying: (any Error)?

    var description: String { message }

    static func decoding(column: String, expected: String) -> SQLError {
        SQLError(kind: .decoding, message: "column \(column) does not hold \(expected)")
    }
}
