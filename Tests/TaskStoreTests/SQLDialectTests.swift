import Testing
@testable import TaskStore

@Suite("SQL dialects")
struct SQLDialectTests {
    @Test("SQLite keeps ? placeholders as written")
    func sqlite() {
        let sql = "SELECT * FROM tasks WHERE id = ? AND state IN (?, ?)"
        #expect(SQLDialect.sqlite.render(sql) == sql)
    }

    @Test("PostgreSQL numbers placeholders, skipping strings, quoted names and comments")
    func postgres() {
        let sql = """
            SELECT '?', "a?b" FROM t -- why?
            WHERE a = ? AND b = 'it''s ?' /* ? */ AND c IN (?, ?)
            """
        let expected = """
            SELECT '?', "a?b" FROM t -- why?
            WHERE a = $1 AND b = 'it''s ?' /* ? */ AND c IN ($2, $3)
            """
        #expect(SQLDialect.postgres.render(sql) == expected)
        #expect(SQLDialect.placeholderList(3) == "?, ?, ?")
    }

    @Test("every migration renders for both dialects")
    func migrationsRender() {
        for dialect in [SQLDialect.sqlite, .postgres] {
            for migration in Migrations.all {
                let statements = migration.statements(dialect)
                #expect(!statements.isEmpty)
                #expect(statements.allSatisfy { !$0.contains("?") })
            }
        }
        #expect(Migrations.all.map(\.version) == Array(1...Migrations.latestVersion))
    }
}
