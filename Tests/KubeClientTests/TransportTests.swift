import Foundation
import KubeClient
import Testing

@Suite("Transport pieces")
struct TransportTests {
    @Test("lines are split across chunk boundaries")
    func lineSplitting() {
        var splitter = LineSplitter()
        #expect(splitter.append(Array("{\"a\":".utf8)).isEmpty)
        let lines = splitter.append(Array("1}\n{\"b\"".utf8))
        #expect(lines.map { String(decoding: $0, as: UTF8.self) } == ["{\"a\":1}"])
        let more = splitter.append(Array(":2}\n\n{\"c\":3}".utf8))
        #expect(more.map { String(decoding: $0, as: UTF8.self) } == ["{\"b\":2}", ""])
        #expect(splitter.finish().map { String(decoding: $0, as: UTF8.self) } == "{\"c\":3}")
    }

    @Test("watch events decode, including ERROR with a Status and BOOKMARK")
    func decoding() throws {
        let added = try PodWatch.decodeEvent(Array(#"{"type":"ADDED","object":{"metadata":{"name":"p","namespace":"d","resourceVersion":"5"},"status":{"phase":"Pending"}}}"#.utf8))
        guard case .added(let pod) = added else { Issue.record("not added"); return }
        #expect(pod.name == "p")
        #expect(pod.phase == .pending)
        let error = try PodWatch.decodeEvent(Array(#"{"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old resource version: 1 (5)"}}"#.utf8))
        guard case .error(let status) = error else { Issue.record("not error"); return }
        #expect(status.code == 410)
        let bookmark = try PodWatch.decodeEvent(Array(#"{"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"42"}}}"#.utf8))
        #expect(bookmark == .bookmark(resourceVersion: "42"))
        #expect(throws: WatchDecodingError.self) { try PodWatch.decodeEvent(Array("{nope".utf8)) }
    }

    @Test("the informer state machine: list, watch, rewatch, relist on 410, back off")
    func informerStateMachine() {
        var machine = InformerStateMachine()
        #expect(machine.start() == .list)
        #expect(machine.listed(resourceVersion: "10") == .watch(from: "10"))
        machine.observed(resourceVersion: "12")
        #expect(machine.watchEnded() == .watch(from: "12"))
        machine.observed(resourceVersion: "15")
        #expect(machine.failed() == .backOff(attempt: 1))
        #expect(machine.failed() == .backOff(attempt: 2))
        #expect(machine.backoffElapsed() == .watch(from: "15"))
        #expect(machine.expired() == .list)
        #expect(machine.resourceVersion == nil)
        #expect(machine.failed() == .backOff(attempt: 1))
        #expect(machine.backoffElapsed() == .list, "a failed list is retried as a list")
    }

    @Test("Status errors map to codes; retryable ones are 429 and 5xx")
    func errorCodes() {
        let conflict = KubeError(httpStatus: 409, status: Status(message: "x", reason: "AlreadyExists", code: 409), request: "POST /p")
        #expect(conflict.code == .alreadyExists)
        #expect(!conflict.isRetryable)
        #expect(KubeError(httpStatus: 503, status: nil, request: "GET /").isRetryable)
        #expect(KubeError(httpStatus: 429, status: nil, request: "GET /").code == .tooManyRequests)
        #expect(KubeError(httpStatus: 410, status: nil, request: "GET /").code == .expired)
    }
}

@Suite("Leader election state machine")
struct LeaderElectionTests {
    @Test("free, own or expired Leases are taken; a live holder is waited for")
    func decisions() {
        var election = LeaderElection(identity: "a", timing: .init(leaseDuration: .seconds(15)))
        let start = ContinuousClock.now
        #expect(election.observe(nil, now: start) == .take(transition: true))
        #expect(election.observe(LeaseSpec(holderIdentity: ""), now: start) == .take(transition: true))
        #expect(election.observe(LeaseSpec(holderIdentity: "a", renewTime: "t1"), now: start) == .take(transition: false))
        let held = LeaseSpec(holderIdentity: "b", leaseDurationSeconds: 15, renewTime: "t1")
        #expect(election.observe(held, now: start) == .wait(holder: "b"))
        #expect(election.observe(held, now: start + .seconds(10)) == .wait(holder: "b"))
        #expect(election.observe(held, now: start + .seconds(16)) == .take(transition: true), "not renewed for the lease duration")
        // A renewal (a changed record) restarts the clock.
        let renewed = LeaseSpec(holderIdentity: "b", leaseDurationSeconds: 15, renewTime: "t2")
        #expect(election.observe(renewed, now: start + .seconds(17)) == .wait(holder: "b"))
        #expect(election.observe(renewed, now: start + .seconds(33)) == .take(transition: true))
    }

    @Test("MicroTime has six fractional digits and a Z")
    func microTime() {
        let text = LeaderElection.microTime(Date(timeIntervalSince1970: 0.5))
        #expect(text == "1970-01-01T00:00:00.500000Z")
    }
}
