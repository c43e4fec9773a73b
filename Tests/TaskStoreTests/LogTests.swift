import Testing
@testable import TaskStore

@Suite("Task logs")
struct LogTests {
    @Test("append, replace and read; an empty log is empty", arguments: StoreKind.allCases)
    func appendAndReplace(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let task = try await store.submit(key: key(1), spec: simpleSpec)
            #expect(try await store.log(id: task.id) == "")

            try await store.appendLog(id: task.id, "line 1\n")
            try await store.appendLog(id: task.id, "")
            try await store.appendLog(id: task.id, "line 2 ünïcödé 🚀\n")
            try await store.appendLog(id: task.id, "partial")
            #expect(try await store.log(id: task.id) == "line 1\nline 2 ünïcödé 🚀\npartial")

            try await store.replaceLog(id: task.id, "fresh\n")
            #expect(try await store.log(id: task.id) == "fresh\n")
            try await store.appendLog(id: task.id, "more\n")
            #expect(try await store.log(id: task.id) == "fresh\nmore\n")

            try await store.replaceLog(id: task.id, "")
            #expect(try await store.log(id: task.id) == "")
        }
    }

    @Test("logs keep every byte, NUL and control characters included", arguments: StoreKind.allCases)
    func exactBytes(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let task = try await store.submit(key: key(1), spec: simpleSpec)
            let text = "before\u{0}after\r\n\u{1B}[31mred\u{1B}[0m\t'quoted' \"double\""
            try await store.appendLog(id: task.id, text)
            try await store.appendLog(id: task.id, "\u{0}")
            #expect(try await store.log(id: task.id) == text + "\u{0}")
        }
    }

    @Test("logs are separate per task", arguments: StoreKind.allCases)
    func perTask(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let tasks = try await submitMany(store, count: 2)
            try await store.appendLog(id: tasks[0].id, "zero")
            try await store.appendLog(id: tasks[1].id, "one")
            try await store.appendLog(id: tasks[0].id, "+")
            #expect(try await store.log(id: tasks[0].id) == "zero+")
            #expect(try await store.log(id: tasks[1].id) == "one")
        }
    }

    @Test("a 1 MB log is appended, replaced and survives close and reopen", arguments: StoreKind.allCases)
    func largeLogSurvivesReopen(_ kind: StoreKind) async throws {
        try await withDatabase(kind) { url in
            let line = "2024-01-01T00:00:00Z INFO processing record with ünïcödé payload 0123456789\n"
            let big = String(repeating: line, count: (1 << 20) / line.utf8.count + 1)
            #expect(big.utf8.count > 1 << 20)

            let store = try await TaskStore.open(url, logger: quietLogger)
            let task = try await store.submit(key: key(1), spec: simpleSpec)
            let other = try await store.submit(key: key(2), spec: simpleSpec)
            try await store.appendLog(id: task.id, big)
            try await store.appendLog(id: task.id, "tail\n")
            try await store.replaceLog(id: other.id, big)
            #expect(try await store.log(id: task.id) == big + "tail\n")
            try await store.close()

            let reopened = try await TaskStore.open(url, logger: quietLogger)
            #expect(try await reopened.log(id: task.id) == big + "tail\n")
            #expect(try await reopened.log(id: other.id) == big)
            try await reopened.replaceLog(id: task.id, "short")
            #expect(try await reopened.log(id: task.id) == "short")
            try await reopened.close()
        }
    }

    @Test("logging to an unknown task is a notFound error; reading gives an empty log", arguments: StoreKind.allCases)
    func unknownTask(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            for append in [true, false] {
                let error = try await #require(throws: TaskStoreError.self) {
                    if append {
                        try await store.appendLog(id: 77, "x")
                    } else {
                        try await store.replaceLog(id: 77, "x")
                    }
                }
                #expect(error.code == .notFound)
                #expect(error.message.contains("77"))
            }
            #expect(try await store.log(id: 77) == "")
        }
    }
}
