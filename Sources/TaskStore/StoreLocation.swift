/// Where a task store lives, parsed from the `--db` value.
///
/// Accepted forms:
/// - a file path: `/var/lib/taskpod/taskpod.db`, `taskpod.db`
/// - `sqlite:///abs/path`, `sqlite://rel/path`, `sqlite:rel/path`
/// - `file:path`, `file:/abs/path`, `file:///abs/path`, `file://localhost/abs/path`
/// - `:memory:` (or `sqlite::memory:`): a private in-memory database, for tests
/// - `postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=...` or `postgresql://...`: see ``PostgresURL``
///
/// URL forms are percent-decoded; plain paths are used as written.
enum StoreLocation: Hashable, Sendable {
    case sqliteFile(path: String)
    case sqliteMemory
    case postgres(PostgresURL)

    init(parsing input: String) throws(TaskStoreError) {
        let text = input.trimmingWhitespace()
        guard !text.isEmpty else {
            throw TaskStoreError(
                .invalidURL,
                "The task store location is empty; pass a SQLite file path such as /var/lib/taskpod/taskpod.db "
                    + "or a URL such as postgres://USER:PASSWORD@HOST:5432/DATABASE."
            )
        }
        let lowered = text.lowercased()
        if text == ":memory:" || lowered == "sqlite::memory:" || lowered == "sqlite://:memory:" {
            self = .sqliteMemory
            return
        }
        if lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") {
            self = .postgres(try PostgresURL(parsing: text))
            return
        }
        if lowered.hasPrefix("sqlite:") {
            var rest = Substring(text.dropFirst("sqlite:".count))
            if rest.hasPrefix("//") { rest = rest.dropFirst(2) }
            self = .sqliteFile(path: try Self.urlPath(String(rest), in: text))
            return
        }
        if lowered.hasPrefix("file:") {
            var rest = Substring(text.dropFirst("file:".count))
            if rest.hasPrefix("//") {
                rest = rest.dropFirst(2)
                let host = rest.prefix { $0 != "/" }
                guard host.isEmpty || host.lowercased() == "localhost" else {
                    throw TaskStoreError(
                        .invalidURL,
                        "The store URL '\(text)' names host '\(host)'; file: URLs must name a local file, "
                            + "such as file:///var/lib/taskpod/taskpod.db."
                    )
                }
                rest = rest.dropFirst(host.count)
            }
            self = .sqliteFile(path: try Self.urlPath(String(rest), in: text))
            return
        }
        if let scheme = Self.scheme(of: text) {
            throw TaskStoreError(
                .invalidURL,
                "The store URL '\(Self.redacted(text))' has the unsupported scheme '\(scheme)'; use a SQLite file path "
                    + "(/var/lib/taskpod/taskpod.db, sqlite:///abs/path, file:path) or a postgres:// URL."
            )
        }
        self = .sqliteFile(path: try Self.checkedPath(text, in: text))
    }

    /// The location as it may appear in messages and logs: passwords removed.
    var displayName: String {
        switch self {
        case .sqliteFile(let path): path
        case .sqliteMemory: ":memory:"
        case .postgres(let url): url.displayName
        }
    }

    // MARK: Parsing helpers

    private static func urlPath(_ raw: String, in url: String) throws(TaskStoreError) -> String {
        if raw.contains("?") || raw.contains("#") {
            throw TaskStoreError(
                .invalidURL,
                "The store URL '\(url)' has a query or fragment; taskpod takes no SQLite URL parameters, "
                    + "remove everything from '?' or '#' (write %3F or %23 for those characters in a file name)."
            )
        }
        guard let decoded = percentDecoded(raw) else {
            throw TaskStoreError(
                .invalidURL,
                "The store URL '\(url)' has an invalid percent escape; write '%' in a file name as %25."
            )
        }
        return try checkedPath(decoded, in: url)
    }

    private static func checkedPath(_ path: String, in url: String) throws(TaskStoreError) -> String {
        guard !path.isEmpty else {
            throw TaskStoreError(
                .invalidURL,
                "The store URL '\(url)' names no file; write it as sqlite:///abs/path/taskpod.db or as a plain path."
            )
        }
        guard !path.hasSuffix("/") else {
            throw TaskStoreError(
                .invalidURL,
                "The store location '\(url)' names a directory; add a file name, such as \(path)taskpod.db."
            )
        }
        guard !path.utf8.contains(0) else {
            throw TaskStoreError(.invalidURL, "The store location '\(url)' contains a NUL character; remove it.")
        }
        // SQLite is opened with URI filenames enabled: keep a relative path that starts with `file:` a path.
        return path.lowercased().hasPrefix("file:") ? "./" + path : path
    }

    /// The URL scheme when `text` looks like `scheme://...`.
    private static func scheme(of text: String) -> String? {
        guard let range = text.firstRange(of: "://") else { return nil }
        let scheme = text[..<range.lowerBound]
        guard let first = scheme.first, first.isASCII, first.isLetter,
              scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
        else { return nil }
        return String(scheme)
    }

    /// `scheme://user:password@host/...` with the password of the user info, and any `password=` parameter,
    /// replaced by `***`. The user info ends at the last `@` before the query, so that a password with an unescaped
    /// `@` or `/` is hidden too.
    static func redacted(_ url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://") else { return url }
        var head = String(url[..<schemeEnd.upperBound])
        var rest = url[schemeEnd.upperBound...]
        var query: Substring?
        if let mark = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            query = rest[mark...]
            rest = rest[..<mark]
        }
        if let at = rest.lastIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") {
            head += rest[...colon] + "***"
            rest = rest[at...]
        }
        guard let query else { return head + rest }
        let parameters = query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            let name = pair.prefix { $0 != "=" }.lowercased()
            guard name == "password" || name == "?password", pair.contains("=") else { return String(pair) }
            return pair.prefix { $0 != "=" } + "=***"
        }
        return head + rest + parameters.joined(separator: "&")
    }

    static func percentDecoded(_ text: some StringProtocol) -> String? {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[start...end])
    }
}
