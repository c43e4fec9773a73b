@testable import KubeClient
import Testing

/// The transfer state machine with strings for waiters: every ordering of head, chunks, pause, cancel and
/// completion, without I/O.
@Suite("Transfer state machine")
struct TransferStateMachineTests {
    typealias Machine = TransferStateMachine<String, String>

    let head = HTTPResponseHead(status: 200, headers: [])
    let failure = TransportError(code: .connect, message: "reset", request: "GET /")
    let cancelled = TransportError(code: .cancelled, message: "cancelled", request: "GET /")

    func machine(limit: Int = 8) -> Machine {
        Machine(bufferLimit: limit, label: "GET /")
    }

    func code(_ error: (any Error)?) -> TransportError.Code? {
        (error as? TransportError)?.code
    }

    @Test("the head arrives before the consumer waits")
    func headFirst() {
        var machine = machine()
        guard case .none = machine.receivedHead(head) else { Issue.record("nobody waits yet"); return }
        guard case .head(let got) = machine.waitForHead("h") else { Issue.record("head not ready"); return }
        #expect(got.status == 200)
        #expect(!machine.isAwaitingHead)
    }

    @Test("the consumer waits before the head arrives")
    func waiterFirst() {
        var machine = machine()
        guard case .wait = machine.waitForHead("h") else { Issue.record("no wait"); return }
        guard case .resume(let waiter, let got) = machine.receivedHead(head) else { Issue.record("no resume"); return }
        #expect(waiter == "h")
        #expect(got.status == 200)
        guard case .none = machine.receivedHead(HTTPResponseHead(status: 500, headers: [])) else {
            Issue.record("a second head is ignored"); return
        }
    }

    @Test("a chunk goes straight to a waiting consumer; buffered chunks are read in order")
    func chunks() {
        var machine = machine()
        _ = machine.receivedHead(head)
        guard case .wait(unpause: false) = machine.nextChunk("b") else { Issue.record("no wait"); return }
        guard case .accepted("b"?, let bytes) = machine.received([1, 2]) else { Issue.record("not handed over"); return }
        #expect(bytes == [1, 2])
        guard case .accepted(nil, _) = machine.received([3]), case .accepted(nil, _) = machine.received([4]) else {
            Issue.record("not buffered"); return
        }
        guard case .chunk([3], unpause: false) = machine.nextChunk("b"),
              case .chunk([4], unpause: false) = machine.nextChunk("b")
        else { Issue.record("not in order"); return }
        guard case .wait = machine.nextChunk("b") else { Issue.record("no wait when drained"); return }
        guard case .resume(head: nil, body: "b"?, error: nil) = machine.completed(error: nil) else {
            Issue.record("the waiter gets the end"); return
        }
        guard case .end = machine.nextChunk("b") else { Issue.record("no end"); return }
    }

    @Test("a full buffer pauses libcurl; draining to half the limit unpauses it")
    func backPressure() {
        var machine = machine(limit: 8)
        _ = machine.receivedHead(head)
        // Buffered while below the limit: 0, 3, 6 bytes before each; 9 bytes reach it.
        for _ in 0..<3 {
            guard case .accepted(nil, _) = machine.received([0, 0, 0]) else { Issue.record("not buffered"); return }
        }
        guard case .pause = machine.received([9]) else { Issue.record("no pause at the limit"); return }
        guard case .pause = machine.received([9]) else { Issue.record("still paused"); return }
        // 9 bytes buffered: 6 after one read (still above 4), then 3 (at most half): unpause once.
        guard case .chunk(_, unpause: false) = machine.nextChunk("b"),
              case .chunk(_, unpause: true) = machine.nextChunk("b"),
              case .chunk(_, unpause: false) = machine.nextChunk("b")
        else { Issue.record("unpaused at the wrong read"); return }
        guard case .wait(unpause: false) = machine.nextChunk("b") else { Issue.record("no wait"); return }
        guard case .accepted("b"?, [9]) = machine.received([9]) else { Issue.record("the paused bytes come again"); return }
    }

    @Test("a paused transfer drained to empty waits and unpauses in one step")
    func drainedWhilePaused() {
        var machine = machine(limit: 0)
        _ = machine.receivedHead(head)
        guard case .pause = machine.received([1]) else { Issue.record("no pause at limit 0"); return }
        guard case .wait(unpause: true) = machine.nextChunk("b") else { Issue.record("no unpause"); return }
        guard case .accepted("b"?, [1]) = machine.received([1]) else { Issue.record("not handed over"); return }
    }

    @Test("cancel while paused drops the buffer and ignores the rest")
    func cancelWhilePaused() {
        var machine = machine(limit: 2)
        _ = machine.receivedHead(head)
        _ = machine.received([1, 2])
        guard case .pause = machine.received([3]) else { Issue.record("no pause"); return }
        guard case .stop(head: nil, body: nil) = machine.cancel(error: cancelled) else { Issue.record("no stop"); return }
        #expect(machine.isFinished)
        guard case .discard = machine.received([3]) else { Issue.record("bytes after cancel are kept"); return }
        guard case .none = machine.completed(error: failure) else { Issue.record("completion after cancel"); return }
        guard case .fail(let error) = machine.nextChunk("b") else { Issue.record("buffer not dropped"); return }
        #expect(code(error) == .cancelled)
        guard case .none = machine.cancel(error: cancelled) else { Issue.record("cancelled twice"); return }
    }

    @Test("cancel hands back the waiting consumer, for the head or for a chunk")
    func cancelWaiters() {
        var before = machine()
        _ = before.waitForHead("h")
        guard case .stop(head: "h"?, body: nil) = before.cancel(error: cancelled) else { Issue.record("head waiter"); return }
        guard case .fail(let error) = before.waitForHead("h2") else { Issue.record("head after cancel"); return }
        #expect(code(error) == .cancelled)
        guard case .none = before.receivedHead(head) else { Issue.record("head after cancel is ignored"); return }

        var streaming = machine()
        _ = streaming.receivedHead(head)
        _ = streaming.nextChunk("b")
        guard case .stop(head: nil, body: "b"?) = streaming.cancel(error: cancelled) else { Issue.record("body waiter"); return }
    }

    @Test("completion with an error fails the waiting consumer, after the chunks already buffered")
    func completeWithError() {
        var waiting = machine()
        _ = waiting.receivedHead(head)
        _ = waiting.nextChunk("b")
        guard case .resume(head: nil, body: "b"?, let error) = waiting.completed(error: failure) else {
            Issue.record("no resume"); return
        }
        #expect(code(error) == .connect)

        var buffered = machine()
        _ = buffered.receivedHead(head)
        _ = buffered.received([1])
        guard case .none = buffered.completed(error: failure) else { Issue.record("nobody waits"); return }
        guard case .chunk([1], _) = buffered.nextChunk("b") else { Issue.record("buffered chunk lost"); return }
        guard case .fail(let later) = buffered.nextChunk("b") else { Issue.record("no failure"); return }
        #expect(code(later) == .connect)
        guard case .discard = buffered.received([2]) else { Issue.record("chunk after finish kept"); return }
    }

    @Test("completion before any head fails the head waiter, with the error or as no head")
    func completeBeforeHead() {
        var failed = machine()
        _ = failed.waitForHead("h")
        guard case .resume(head: "h"?, body: nil, let error) = failed.completed(error: failure) else {
            Issue.record("no resume"); return
        }
        #expect(code(error) == .connect)

        var empty = machine()
        guard case .none = empty.completed(error: nil) else { Issue.record("nobody waits"); return }
        guard case .fail(let error) = empty.waitForHead("h") else { Issue.record("no failure"); return }
        #expect(code(error) == .protocolError)
    }

    @Test("a transfer that completed keeps its head and its unread body")
    func completeThenRead() {
        var machine = machine()
        _ = machine.receivedHead(head)
        _ = machine.received([1])
        _ = machine.completed(error: nil)
        guard case .head = machine.waitForHead("h") else { Issue.record("head lost"); return }
        guard case .none = machine.cancel(error: cancelled) else { Issue.record("cancel after the end stops nothing"); return }
        guard case .chunk([1], _) = machine.nextChunk("b"), case .end = machine.nextChunk("b") else {
            Issue.record("body lost"); return
        }
    }
}
