import Foundation

/// The task store of one chaos run: a SQLite file in the run's folder, or a fresh database on the PostgreSQL test
/// server named by `TASKPOD_TEST_POSTGRES_URL` (made with `psql`, dropped by ``drop()``).
public struct ChaosDatabase: Sendable {
    public enum Kind: String, Sendable, CaseIterable, CustomStringConvertible {
        case sqlite, postgres

        public var description: String { self == .sqlite ? "SQLite" : "PostgreSQL" }
    }

    /// The variable naming the PostgreSQL server (`make test` and `scripts/postgres-test-server.sh` set it).
    public static let postgresVariable = "TASKPOD_TEST_POSTGRES_URL"

    public let kind: Kind
    /// What `--db` and `TaskStore.open` take.
    public let url: String
    private let serverURL: String?
    private let databaseName: String?

    /// Makes the run's database.
    ///
    /// - Throws: ``ChaosError`` when PostgreSQL is asked for and `TASKPOD_TEST_POSTGRES_URL` is not set (a failure,
    ///   not a skip: a suite that passes without its PostgreSQL half hides it), or `psql` fails.
    public static func make(_ kind: Kind, directory: String, name: String) async throws -> ChaosDatabase {
        switch kind {
        case .sqlite:
            return ChaosDatabase(kind: .sqlite, url: directory + "/tasks.sqlite", serverURL: nil, databaseName: nil)
        case .postgres:
            guard let server = ProcessInfo.processInfo.environment[postgresVariable], !server.isEmpty else {
                throw ChaosError(
                    "\(postgresVariable) is not set, so the PostgreSQL chaos run cannot run. Start a throwaway server "
                        + "with `eval \"$(scripts/postgres-test-server.sh start)\"` and run again (`make test` and "
                        + "`make chaos` do this themselves).")
            }
            let safe = name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }
            let database = "taskpod_chaos_" + String(safe.prefix(24)) + "_" + UUID().uuidString.lowercased().prefix(8)
            try await psql(server, "CREATE DATABASE \(database)", directory: directory)
            return ChaosDatabase(
                kind: .postgres, url: replacingDatabase(in: server, with: database), serverURL: server,
                databaseName: database)
        }
    }

    /// Drops a PostgreSQL database (even with connections left open); a SQLite file goes with the run's folder.
    public func drop(directory: String) async {
        guard let serverURL, let databaseName else { return }
        try? await Self.psql(serverURL, "DROP DATABASE IF EXISTS \(databaseName) WITH (FORCE)", directory: directory)
    }

    static func psql(_ serverURL: String, _ statement: String, directory: String) async throws {
        let psql = try locatePSQL()
        let child = try ChildProcess.start(
            name: "psql", executable: psql, arguments: [serverURL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", statement],
            outputPath: directory + "/psql.log")
        guard let status = await child.exit(timeout: .seconds(60)) else {
            await child.killAndWait()
            throw ChaosError("psql did not finish `\(statement)` within 60 s")
        }
        guard status == .exited(0) else {
            throw ChaosError("psql failed (\(status)) running `\(statement)`:\n\(child.outputTail())")
        }
    }

    static func locatePSQL() throws -> String {
        var candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
            .split(separator: ":").map { "\($0)/psql" }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        candidates += versions.sorted().reversed().map { "/usr/lib/postgresql/\($0)/bin/psql" }
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) { return found }
        throw ChaosError("psql is not installed (it makes the run's database); install it with `apt-get install -y postgresql-client`")
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
