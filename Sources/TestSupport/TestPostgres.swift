import Foundation

/// The throwaway PostgreSQL server of the test run (`scripts/postgres-test-server.sh` starts it and `make test` sets
/// ``variable``): `psql` on it, and URLs of databases on it.
public enum TestPostgres {
    /// The variable naming the server's URL; its role may create databases.
    public static let variable = "TASKPOD_TEST_POSTGRES_URL"

    /// Runs one statement with `psql` on `serverURL`.
    ///
    /// - Throws: ``HarnessError`` with psql's output when it fails or hangs.
    public static func psql(_ serverURL: String, _ statement: String, directory: String) async throws {
        let psql = try locatePSQL()
        let child = try ChildProcess.start(
            name: "psql", executable: psql, arguments: [serverURL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", statement],
            outputPath: directory + "/psql.log")
        guard let status = await child.exit(timeout: .seconds(60)) else {
            await child.killAndWait()
            throw HarnessError("psql did not finish `\(statement)` within 60 s")
        }
        guard status == .exited(0) else {
            throw HarnessError("psql failed (\(status)) running `\(statement)`:\n\(child.outputTail())")
        }
    }

    static func locatePSQL() throws -> String {
        var candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
            .split(separator: ":").map { "\($0)/psql" }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        candidates += versions.sorted().reversed().map { "/usr/lib/postgresql/\($0)/bin/psql" }
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) { return found }
        throw HarnessError("psql is not installed (it makes the run's database); install it with `apt-get install -y postgresql-client`")
    }

    /// `serverURL` with its database replaced by `database` (user, host, port and query kept).
    public static func replacingDatabase(in serverURL: String, with database: String) -> String {
        var head = Substring(serverURL)
        var query: Substring = ""
        if let mark = head.firstIndex(of: "?") {
            query = head[mark...]
            head = head[..<mark]
        }
        let authorityStart = head.range(of: "://").map(\.upperBound) ?? head.startIndex
        let afterUserInfo = head[authorityStart...].lastIndex(of: "@").map { head.index(after: $0) } ?? authorityStart
        let pathStart = head[afterUserInfo...].firstIndex(of: "/") ?? head.endIndex
        return head[..<pathStart] + "/" + database + query
    }
}
