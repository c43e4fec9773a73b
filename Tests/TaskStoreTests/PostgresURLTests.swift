import Testing
@testable import TaskStore

@Suite("PostgreSQL store URLs")
struct PostgresURLTests {
    private func parse(_ text: String) throws -> PostgresURL {
        guard case .postgres(let url) = try StoreLocation(parsing: text) else {
            throw TaskStoreError(.invalidURL, "'\(text)' did not parse as a PostgreSQL URL")
        }
        return url
    }

    @Test("URL forms parse into endpoint, user, password, database and TLS mode")
    func forms() throws {
        let full = try parse("postgres://taskpod:s3cret@db.example.com:6432/jobs?sslmode=require")
        #expect(full.endpoint == .tcp(host: "db.example.com", port: 6432))
        #expect(full.user == "taskpod" && full.password == "s3cret" && full.database == "jobs")
        #expect(full.sslMode == .require)
        #expect(full.displayName == "postgres://taskpod:***@db.example.com:6432/jobs?sslmode=require")

        // Defaults: port 5432, the database named after the user, TLS with full verification.
        let plain = try parse("postgresql://taskpod@db.example.com")
        #expect(plain.endpoint == .tcp(host: "db.example.com", port: 5432))
        #expect(plain.password == nil && plain.database == "taskpod")
        #expect(plain.sslMode == .verifyFull)
        #expect(plain.connectTimeout == 10)

        // Percent escapes, an unescaped '@' and '/' in the password, IPv6, every parameter.
        let escaped = try parse(
            "POSTGRES://us%40er:p%3Ass@w/rd@[::1]:5433/my%20db"
                + "?sslmode=verify-ca&sslrootcert=/etc/ca.pem&connect_timeout=3"
        )
        #expect(escaped.user == "us@er" && escaped.password == "p:ss@w/rd" && escaped.database == "my db")
        #expect(escaped.endpoint == .tcp(host: "::1", port: 5433))
        #expect(escaped.serverName == "[::1]:5433")
        #expect(escaped.sslMode == .verifyCA && escaped.sslRootCertificate == "/etc/ca.pem")
        #expect(escaped.connectTimeout == 3)
        #expect(!escaped.displayName.contains("p%3Ass") && !escaped.displayName.contains("rd@"))

        let socket = try parse("postgres://taskpod@/taskpod?host=/var/run/postgresql")
        #expect(socket.endpoint == .unixSocket(directory: "/var/run/postgresql", port: 5432))
        #expect(socket.serverName == "/var/run/postgresql/.s.PGSQL.5432")

        #expect(try parse("postgres://u:@h/d").password == nil)
        #expect(try parse("postgres://u@h/d?sslmode=disable").sslMode == .disable)
    }

    @Test("TLS: verification unless the URL turns it down, and only as far as it says")
    func tls() throws {
        func summary(_ query: String) throws -> String {
            PostgresBackend.tlsSummary(try parse("postgres://u:pw@db.example.com/d" + query))
        }
        #expect(try summary("") == "required, certificate chain and host name checked, trusting the system's roots")
        #expect(try summary("?sslmode=verify-full") == summary(""))
        #expect(try summary("?sslmode=verify-ca")
            == "required, certificate chain checked, host name not checked, trusting the system's roots")
        #expect(try summary("?sslmode=require") == "required, certificate not checked, trusting the system's roots")
        #expect(try summary("?sslmode=disable") == "off")
        #expect(try summary("?sslrootcert=/etc/taskpod/ca.pem")
            == "required, certificate chain and host name checked, trusting the roots in /etc/taskpod/ca.pem")
    }

    @Test("unusable PostgreSQL URLs are invalidURL errors that name the problem and never the password")
    func invalid() async throws {
        let cases: [(String, String)] = [
            ("postgres://:s3cret@host/db", "names no user"),
            ("postgres://u:s3cret@/db", "names no host"),
            ("postgres://u:s3cret@host:99999/db", "port"),
            ("postgres://u:s3cret@host:abc/db", "port"),
            ("postgres://u:s3cret@host/db?sslmode=prefer", "sslmode=prefer"),
            ("postgres://u:s3cret@host/db?sslmode=allow", "verify-full"),
            ("postgres://u:s3cret@host/db?password=s3cret", "before the host"),
            ("postgres://u:s3cret@host/db?application_name=x", "unknown parameter 'application_name'"),
            ("postgres://u:s3cret@host/db?host=otherhost", "Unix socket directory"),
            ("postgres://u:s3cret@host/db?connect_timeout=soon", "connect_timeout"),
            ("postgres://u:s3cret@host/a/b", "more than one part"),
            ("postgres://u:s3cret@host/db#frag", "fragment"),
            ("postgres://u:s3cret@[::1/db", "IPv6"),
            ("postgres://u%zz:s3cret@host/db", "percent escape"),
        ]
        for (url, expected) in cases {
            let error = try await #require(throws: TaskStoreError.self, "\(url)") {
                try await TaskStore.open(url, logger: quietLogger)
            }
            #expect(error.code == .invalidURL, "\(url)")
            #expect(error.message.contains(expected), "\(url): \(error.message)")
            #expect(!error.message.contains("s3cret") && !error.description.contains("s3cret"), "\(error.message)")
        }
    }

    @Test("an sslrootcert that cannot be read fails at open, naming the file and not the password")
    func unreadableRoots() async throws {
        let url = "postgres://u:s3cret@127.0.0.1:1/db?sslmode=verify-full&sslrootcert=/no/such/dir/ca.pem"
        let error = try await #require(throws: TaskStoreError.self) {
            try await TaskStore.open(url, logger: quietLogger)
        }
        #expect(error.code == .database)
        #expect(error.message.contains("/no/such/dir/ca.pem") && error.message.contains("sslrootcert"))
        #expect(!error.message.contains("s3cret"))
    }

    @Test("redaction hides the password wherever the URL puts it")
    func redaction() {
        #expect(StoreLocation.redacted("postgres://u:pw@h/d") == "postgres://u:***@h/d")
        #expect(StoreLocation.redacted("postgres://u:p@w/x@h/d?a=1") == "postgres://u:***@h/d?a=1")
        #expect(StoreLocation.redacted("postgres://u@h/d?password=pw&sslmode=disable")
            == "postgres://u@h/d?password=***&sslmode=disable")
        #expect(StoreLocation.redacted("postgres://u@h/d?sslmode=disable&PASSWORD=pw")
            == "postgres://u@h/d?sslmode=disable&PASSWORD=***")
        #expect(StoreLocation.redacted("mysql://u:pw@h/d") == "mysql://u:***@h/d")
        #expect(StoreLocation.redacted("postgres://h/d") == "postgres://h/d")
    }
}
