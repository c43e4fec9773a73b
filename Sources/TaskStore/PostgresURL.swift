/// A PostgreSQL task store URL, parsed: where the server is, who to log in as, and how to secure the connection.
///
/// ```
/// postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=verify-full
/// postgresql://taskpod@db.example.com/taskpod?sslmode=verify-full&sslrootcert=/etc/taskpod/ca.pem
/// postgres://taskpod:secret@127.0.0.1:5432/taskpod?sslmode=disable
/// postgres://taskpod@/taskpod?host=/var/run/postgresql              (a Unix socket directory)
/// ```
///
/// User, password and database are percent-decoded (write `@` as `%40`, `/` as `%2F`, `:` as `%3A`). The port
/// defaults to 5432, the database to the user's name. Query parameters:
/// - `sslmode`: `verify-full` (the default: TLS, the certificate must chain to a trusted root and name the host),
///   `verify-ca` (TLS, trusted chain, any host name), `require` (TLS, the certificate is **not** checked: encrypted
///   but open to an active man-in-the-middle; only when asked for), `disable` (no TLS, for loopback and tests).
/// - `sslrootcert`: a PEM file of the roots to trust instead of the system's.
/// - `host`: a Unix socket directory (`/var/run/postgresql`), used instead of a TCP host.
/// - `connect_timeout`: seconds to wait for a connection (default 10).
///
/// The password never appears in ``displayName`` nor in any error this type throws.
struct PostgresURL: Hashable, Sendable {
    enum SSLMode: String, Hashable, Sendable, CaseIterable {
        case disable
        case require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    enum Endpoint: Hashable, Sendable {
        case tcp(host: String, port: Int)
        /// The directory of the server's socket and the port that names the socket file in it.
        case unixSocket(directory: String, port: Int)
    }

    var endpoint: Endpoint
    var user: String
    var password: String?
    var database: String
    var sslMode: SSLMode
    /// A PEM file of trusted roots, instead of the system's.
    var sslRootCertificate: String?
    /// Seconds.
    var connectTimeout: Int
    /// The URL as written, with the password replaced by `***`.
    var displayName: String

    static let defaultPort = 5432
    static let defaultConnectTimeout = 10
    static let parameters = ["sslmode", "sslrootcert", "host", "connect_timeout"]

    /// The form to show in messages.
    static let example = "postgres://USER:PASSWORD@HOST:5432/DATABASE?sslmode=verify-full"

    init(parsing text: String) throws(TaskStoreError) {
        let display = StoreLocation.redacted(text)
        displayName = display
        func invalid(_ problem: String) -> TaskStoreError {
            TaskStoreError(.invalidURL, "The store URL '\(display)' \(problem).")
        }

        guard let schemeEnd = text.firstRange(of: "://") else {
            throw invalid("is not a postgres:// URL; write it as \(Self.example)")
        }
        var rest = Substring(text[schemeEnd.upperBound...])
        if rest.contains("#") {
            throw invalid("has a fragment ('#'); remove it, or write '#' in a password or name as %23")
        }
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        // The user info ends at the last '@', so that a password with an unescaped '@' or '/' still parses.
        var userInfo: Substring = ""
        if let at = rest.lastIndex(of: "@") {
            userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
        }
        let hostPort = rest.prefix { $0 != "/" }
        var path = rest.dropFirst(hostPort.count)
        if path.hasPrefix("/") { path = path.dropFirst() }

        // User and password.
        let rawUser = userInfo.prefix { $0 != ":" }
        guard let user = StoreLocation.percentDecoded(rawUser),
              let password = StoreLocation.percentDecoded(userInfo.dropFirst(rawUser.count + 1))
        else {
            throw invalid("has an invalid percent escape in its user or password; write '%' as %25")
        }
        guard !user.isEmpty else {
            throw invalid("names no user; write it as \(Self.example)")
        }
        self.user = user
        self.password = password.isEmpty ? nil : password

        // Database.
        guard let database = StoreLocation.percentDecoded(path) else {
            throw invalid("has an invalid percent escape in its database name; write '%' as %25")
        }
        guard !database.contains("/") else {
            throw invalid("has a path with more than one part; name one database after the host, as \(Self.example)")
        }
        self.database = database.isEmpty ? user : database

        // Host and port.
        var host: String
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else {
                throw invalid("has an IPv6 address without its closing ']'; write it as [::1]")
            }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("has text after its IPv6 address; write [::1]:5432") }
                portText = after.dropFirst()
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = String(hostPort[..<colon])
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            host = String(hostPort)
        }
        var port = Self.defaultPort
        if let portText {
            guard let number = Int(portText), (1...65_535).contains(number) else {
                throw invalid("has the port '\(portText)'; write a number from 1 to 65535, such as 5432")
            }
            port = number
        }
        guard let decodedHost = StoreLocation.percentDecoded(host) else {
            throw invalid("has an invalid percent escape in its host")
        }
        host = decodedHost

        // Parameters.
        var sslMode = SSLMode.verifyFull
        var rootCertificate: String?
        var socketDirectory: String?
        var connectTimeout = Self.defaultConnectTimeout
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let name = String(pair.prefix { $0 != "=" })
            guard let value = StoreLocation.percentDecoded(pair.dropFirst(name.count + 1)) else {
                throw invalid("has an invalid percent escape in the parameter \(name); write '%' as %25")
            }
            switch name {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    let modes = SSLMode.allCases.map(\.rawValue).joined(separator: ", ")
                    throw invalid("has sslmode=\(value); taskpod knows \(modes) (verify-full when not given)")
                }
                sslMode = mode
            case "sslrootcert":
                guard !value.isEmpty else {
                    throw invalid("has an empty sslrootcert; name a PEM file of trusted roots")
                }
                rootCertificate = value
            case "host":
                guard value.hasPrefix("/") else {
                    throw invalid("has host=\(value) in its query; that parameter takes a Unix socket directory "
                        + "such as /var/run/postgresql; put a TCP host after '@'")
                }
                socketDirectory = value
            case "connect_timeout":
                guard let seconds = Int(value), seconds > 0 else {
                    throw invalid("has connect_timeout=\(value); write a number of seconds, such as 10")
                }
                connectTimeout = seconds
            default:
                let hint = name == "password" || name == "user"
                    ? "put the user and password before the host: \(Self.example)"
                    : "taskpod knows \(Self.parameters.joined(separator: ", "))"
                throw invalid("has the unknown parameter '\(name)'; \(hint)")
            }
        }
        if let socketDirectory {
            endpoint = .unixSocket(directory: socketDirectory, port: port)
        } else {
            guard !host.isEmpty else {
                throw invalid("names no host; write it as \(Self.example), or add ?host=/var/run/postgresql for a "
                    + "Unix socket")
            }
            endpoint = .tcp(host: host, port: port)
        }
        self.sslMode = sslMode
        self.sslRootCertificate = rootCertificate
        self.connectTimeout = connectTimeout
    }

    /// `host:port`, or the socket path, for messages.
    var serverName: String {
        switch endpoint {
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unixSocket(let directory, let port): Self.socketPath(directory: directory, port: port)
        }
    }

    static func socketPath(directory: String, port: Int) -> String {
        (directory.hasSuffix("/") ? directory : directory + "/") + ".s.PGSQL.\(port)"
    }
}
