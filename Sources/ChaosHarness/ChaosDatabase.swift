import KubeSimTestKit
import TestSupport
import Foundation
import TestSupport

/// The task store of one chaos run: a SQLite file in the run's folder, or a fresh database on the PostgreSQL test
/// server named by `TASKPOD_TEST_POSTGRES_URL` (made with `psql`, dropped by ``drop()``).
public struct ChaosDatabase: Sendable {
    public enum Kind: String, Sendable, CaseIterable, CustomStringConvertible {
        case sqlite, postgres

        public var description: String { self == .sqlite ? "SQLite" : "PostgreSQL" }
    }

    /// The variable naming the PostgreSQL server (`make test` and `scripts/postgres-test-server.sh` set it).
    public static let postgresVariable = TestPostgres.variable

    public let kind: Kind
    /// What `--db` and `TaskStore.open` take.
    public let url: String
    private let serverURL: String?
    private let databaseName: String?

    /// Makes the run's database.
    ///
    /// - Throws: ``HarnessError`` when PostgreSQL is asked for and `TASKPOD_TEST_POSTGRES_URL` is not set (a failure,
    ///   not a skip: a suite that passes without its PostgreSQL half hides it), or `psql` fails.
    public static func make(_ kind: Kind, directory: String, name: String) async throws -> ChaosDatabase {
        switch kind {
        case .sqlite:
            return ChaosDatabase(kind: .sqlite, url: directory + "/tasks.sqlite", serverURL: nil, databaseName: nil)
        case .postgres:
            guard let server = ProcessInfo.processInfo.environment[postgresVariable], !server.isEmpty else {
                throw HarnessError(
                    "\(postgresVariable) is not set, so the PostgreSQL chaos run cannot run. Start a throwaway server "
                        + "with `eval \"$(scripts/postgres-test-server.sh start)\"` and run again (`make test` and "
                        + "`make chaos` do this themselves).")
            }
            let safe = name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }
            let database = "taskpod_chaos_" + String(safe.prefix(24)) + "_" + UUID().uuidString.lowercased().prefix(8)
            try await TestPostgres.psql(server, "CREATE DATABASE \(database)", directory: directory)
            return ChaosDatabase(
                kind: .postgres, url: TestPostgres.replacingDatabase(in: server, with: database), serverURL: server,
                databaseName: database)
        }
    }

    /// Drops a PostgreSQL database (even with connections left open); a SQLite file goes with the run's folder.
    public func drop(directory: String) async {
        guard let serverURL, let databaseName else { return }
        try? await TestPostgres.psql(serverURL, "DROP DATABASE IF EXISTS \(databaseName) WITH (FORCE)", directory: directory)
    }
}
