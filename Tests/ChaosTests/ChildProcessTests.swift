import Foundation
import TestSupport
import Testing

/// The harness's child processes end before the code that started them returns, however it returns.
@Suite("Child processes are stopped on every path")
struct ChildProcessTests {
    struct Planned: Error {}

    static func sleeper(_ directory: TemporaryDirectory, _ body: (ChildProcess) async throws -> Void) async throws {
        try await ChildProcess.withStarted(
            name: "sleep", executable: "/bin/sleep", arguments: ["30"], outputPath: directory.file("sleep.log"), body)
    }

    @Test("withStarted stops the child and awaits its end when the body returns, and when it throws")
    func stoppedOnEveryPath() async throws {
        let directory = try TemporaryDirectory(prefix: "child")
        defer { directory.remove() }
        var started: [ChildProcess] = []
        try await Self.sleeper(directory) { child in
            #expect(child.isRunning)
            started.append(child)
        }
        await #expect(throws: Planned.self) {
            try await Self.sleeper(directory) { child in
                started.append(child)
                throw Planned()
            }
        }
        #expect(started.count == 2)
        for child in started { #expect(child.status == .signalled(SIGTERM), "\(child.name): \(String(describing: child.status))") }
    }

    @Test("a cancelled wait for the end returns at once, without the child")
    func cancelledWait() async throws {
        let directory = try TemporaryDirectory(prefix: "child")
        defer { directory.remove() }
        try await Self.sleeper(directory) { child in
            let waiter = Task { await child.exit(timeout: .seconds(30)) }
            waiter.cancel()
            let start = ContinuousClock.now
            #expect(await waiter.value == nil)
            #expect(ContinuousClock.now - start < .seconds(5))
            #expect(child.isRunning)
        }
    }
}
