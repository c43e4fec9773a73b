import PostgresNIO

// How the PostgreSQL backend turns its URL into PostgresNIO's configuration, store values into bind parameters and
// cells back into store values, and PostgresNIO's errors into ``SQLError``s whose messages never hold a password.
extension PostgresBackend {
    // MARK: Configuration

    /// The TLS settings `url.sslMode` asks for; nil for `disable`.
    static func tlsConfiguration(_ url: PostgresURL) -> TLSConfiguration? {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch url.sslMode {
        case .disable: return nil
        case .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        if let roots = url.sslRootCertificate {
            tls.trustRoots = .file(roots)
        }
        return tls
    }

    /// What `url` asks of TLS, in words, read back from ``tlsConfiguration(_:)``: for the log and for tests.
    static func tlsSummary(_ url: PostgresURL) -> String {
        guard let tls = tlsConfiguration(url) else { return "off" }
        let check = switch tls.certificateVerification {
        case .none: "certificate not checked"
        case .noHostnameVerification: "certificate chain checked, host name not checked"
        case .fullVerification: "certificate chain and host name checked"
        }
        let roots = switch tls.trustRoots {
        case .file(let path): "trusting the roots in \(path)"
        case .certificates: "trusting the given roots"
        case .default, nil: "trusting the system's roots"
        }
        return "required, \(check), \(roots)"
    }

    static func clientConfiguration(_ url: PostgresURL) throws(SQLError) -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        switch url.endpoint {
        case .tcp(let host, let port):
            // Made once here so that an unreadable sslrootcert fails at open, not in the pool's background.
            _ = try sslContext(url)
            configuration = PostgresClient.Configuration(
                host: host, port: port, username: url.user, password: url.password, database: url.database,
                tls: tlsConfiguration(url).map { .require($0) } ?? .disable
            )
        case .unixSocket(let directory, let port):
            configuration = PostgresClient.Configuration(
                unixSocketPath: PostgresURL.socketPath(directory: directory, port: port), username: url.user,
                password: url.password, database: url.database
            )
        }
        configuration.options.connectTimeout = .seconds(url.connectTimeout)
        return configuration
    }

    static func connectionConfiguration(_ url: PostgresURL) throws(SQLError) -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        switch url.endpoint {
        case .tcp(let host, let port):
            configuration = PostgresConnection.Configuration(
                host: host, port: port, username: url.user, password: url.password, database: url.database,
                tls: try sslContext(url).map { .require($0) } ?? .disable
            )
        case .unixSocket(let directory, let port):
            configuration = PostgresConnection.Configuration(
                unixSocketPath: PostgresURL.socketPath(directory: directory, port: port), username: url.user,
                password: url.password, database: url.database
            )
        }
        configuration.options.connectTimeout = .seconds(Int64(url.connectTimeout))
        return configuration
    }

    private static func sslContext(_ url: PostgresURL) throws(SQLError) -> NIOSSLContext? {
        guard let tls = tlsConfiguration(url) else { return nil }
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            let roots = url.sslRootCertificate.map { "the sslrootcert file '\($0)' cannot be used" }
                ?? "the system's trusted roots cannot be loaded"
            throw SQLError(
                kind: .other,
                message: "\(roots) (\(error)); name a readable PEM file of CA certificates with sslrootcert=",
                underlying: error
            )
        }
    }

    // MARK: Values

    static func append(_ value: SQLValue, to bindings: inout PostgresBindings) {
        switch value {
        // Untyped: the server infers the type from where the parameter stands (`COALESCE(?, pod_name)`: text).
        case .null: bindings.appendNull()
        case .integer(let value): bindings.append(value)
        case .real(let value): bindings.append(value)
        case .text(let value): bindings.append(value)
        case .blob(let bytes): bindings.append(ByteBuffer(bytes: bytes))
        }
    }

    static func value(_ cell: PostgresCell) throws(SQLError) -> SQLValue {
        guard let bytes = cell.bytes else { return .null }
        do {
            switch cell.dataType {
            case .int2, .int4, .int8:
                return .integer(try cell.decode(Int64.self))
            case .float4, .float8:
                return .real(try cell.decode(Double.self))
            case .bool:
                return .integer(try cell.decode(Bool.self) ? 1 : 0)
            case .bytea:
                return .blob(Array(bytes.readableBytesView))
            case .text, .varchar, .bpchar, .name:
                return .text(try cell.decode(String.self))
            default:
                // No store column has another type; keep such a value (`void` from pg_advisory_xact_lock) as bytes.
                return cell.format == .text
                    ? .text(String(decoding: bytes.readableBytesView, as: UTF8.self))
                    : .blob(Array(bytes.readableBytesView))
            }
        } catch {
            throw SQLError(
                kind: .decoding,
                message: "column \(cell.columnName) holds a PostgreSQL value of type \(cell.dataType) that cannot "
                    + "be read",
                underlying: error
            )
        }
    }

    // MARK: Errors

    /// `error` as an ``SQLError`` whose message says what failed and, where there is one, the fix. The message is
    /// made from the server's own message and the URL's host, port, user and database: never the password.
    ///
    /// - Parameter connecting: True when the error came while connecting or leasing a connection.
    static func classify(_ error: any Error, url: PostgresURL, connecting: Bool) -> SQLError {
        if let error = error as? SQLError { return error }
        let server = "the PostgreSQL server \(url.serverName)"
        let connectPrefix = "cannot connect to \(server) as user '\(url.user)'"
        guard let psql = error as? PSQLError else {
            if error is CancellationError {
                return SQLError(kind: .other, message: "the operation was cancelled", underlying: error)
            }
            // The pool's own errors (_ConnectionPoolModule.ConnectionPoolError) are not public types.
            if "\(error)".contains("CircuitBreakerTripped") {
                return SQLError(
                    kind: .other,
                    message: "\(connectPrefix): every attempt failed for a minute; check that the server runs "
                        + "and can be reached",
                    underlying: error
                )
            }
            return SQLError(kind: .other, message: "\(connectPrefix): \(error)", underlying: error)
        }

        switch psql.code {
        case .server:
            return serverError(psql, url: url, connecting: connecting)
        case .poolClosed:
            return SQLError(
                kind: .closed, message: "the task store '\(url.displayName)' is closed; open it again", underlying: psql
            )
        case .sslUnsupported:
            return SQLError(
                kind: .other,
                message: "\(connectPrefix): the server does not accept TLS connections, and sslmode="
                    + "\(url.sslMode.rawValue) requires TLS; enable TLS on the server, or add sslmode=disable to "
                    + "the URL for a server on a trusted network",
                underlying: psql
            )
        case .authMechanismRequiresPassword:
            return SQLError(
                kind: .other,
                message: "\(connectPrefix): the server asks for a password and the URL gives none; write it as "
                    + PostgresURL.example,
                underlying: psql
            )
        case .unsupportedAuthMechanism, .saslError:
            return SQLError(
                kind: .other,
                message: "\(connectPrefix): authentication failed (\(psql.code)); the server must accept "
                    + "password, md5 or scram-sha-256 authentication for this user",
                underlying: psql
            )
        case .connectionError:
            return SQLError(kind: .other, message: connectionFailure(psql, prefix: connectPrefix, url: url),
                            underlying: psql)
        case .serverClosedConnection, .clientClosedConnection, .uncleanShutdown:
            let cause = psql.underlying.map { " (\($0))" } ?? ""
            return SQLError(
                kind: .other,
                message: "the connection to \(server) was lost\(cause); check the server and try again",
                underlying: psql
            )
        case .queryCancelled:
            return SQLError(kind: .other, message: "the statement was cancelled", underlying: psql)
        default:
            let cause = psql.underlying.map { ": \($0)" } ?? ""
            return SQLError(
                kind: .other,
                message: "\(connecting ? connectPrefix : "talking to \(server) failed") (\(psql.code)\(cause))",
                underlying: psql
            )
        }
    }

    private static func connectionFailure(_ psql: PSQLError, prefix: String, url: PostgresURL) -> String {
        guard let underlying = psql.underlying else { return "\(prefix): the connection failed" }
        let tlsReason: String?
        if (underlying as? NIOSSLExtraError) == .failedToValidateHostname {
            let host = if case .tcp(let host, _) = url.endpoint { "'\(host)'" } else { "the host in the URL" }
            tlsReason = "the server's certificate does not name \(host)"
        } else if underlying is NIOSSLError || underlying is NIOSSLExtraError {
            // BoringSSL's own text ends in a source location; say what it means when it is the usual case.
            tlsReason = "\(underlying)".contains("CERTIFICATE_VERIFY_FAILED")
                ? "the server's certificate does not chain to a trusted root" : "\(underlying)"
        } else {
            tlsReason = nil
        }
        guard let tlsReason else {
            return "\(prefix): \(underlying); check that the server runs and that host and port are right"
        }
        let fix = url.sslRootCertificate == nil
            ? "name the CA that signed the server's certificate with sslrootcert=/path/ca.pem"
            : "check that sslrootcert names the CA that signed the server's certificate and that the URL's host is "
                + "a name the certificate holds"
        return "\(prefix): the TLS handshake failed (sslmode=\(url.sslMode.rawValue): \(tlsReason)); \(fix), or "
            + "use sslmode=require to encrypt without checking the certificate"
    }

    private static func serverError(_ psql: PSQLError, url: PostgresURL, connecting: Bool) -> SQLError {
        let state = psql.serverInfo?[.sqlState] ?? ""
        var message = psql.serverInfo?[.message] ?? "the server reported an error"
        if let detail = psql.serverInfo?[.detail], !detail.isEmpty { message += " (\(detail))" }
        message += " [SQLSTATE \(state)]"
        let kind: SQLError.Kind
        switch state {
        case "23505": kind = .uniqueViolation
        case "23503": kind = .foreignKeyViolation
        case "42P01": kind = .undefinedTable
        // serialization_failure, deadlock_detected, lock_not_available: another transaction was in the way.
        case "40001", "40P01", "55P03": kind = .busy
        default: kind = .other
        }
        guard connecting else { return SQLError(kind: kind, message: message, underlying: psql) }
        let hint: String
        switch state {
        case "28P01", "28000":
            hint = "; check the user and password in the store URL, and the server's pg_hba.conf"
        case "3D000":
            hint = "; create it (createdb -O \(url.user) \(url.database)) or name an existing database in the URL"
        case "53300":
            hint = "; the server has no free connection slots: raise max_connections or close other clients"
        default:
            hint = ""
        }
        return SQLError(
            kind: kind,
            message: "cannot connect to the PostgreSQL server \(url.serverName) as user '\(url.user)': \(message)"
                + hint,
            underlying: psql
        )
    }
}
