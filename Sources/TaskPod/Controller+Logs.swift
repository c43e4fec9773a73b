import Foundation
import KubeClient
import Logging
import Synchronization
import TaskStore

/// The tasks whose Pod log is being followed, and those whose follower stored the whole log (so that the reconcile
/// that ends the task need not read it again).
///
/// Where entries leave: a running follower's when it ends; a whole log's mark when the reconcile that records the
/// final state takes it (``takeWhole(_:waitingUpTo:)``), when a new follower of the task starts, or at the latest
/// ``wholeTTL`` after it was set (``expire()``, from the resync).
final class FollowedLogs: Sendable {
    private struct State {
        var running: Set<Int64> = []
        var whole: [Int64: ContinuousClock.Instant] = [:]
    }

    /// How long a whole log's mark waits for its reconcile.
    static let wholeTTL: Duration = .seconds(600)

    private let state = Mutex(State())
    /// Rung whenever a follower ends.
    private let ended = Doorbell()

    /// True when `id` was not followed yet (and now is).
    func start(_ id: Int64) -> Bool {
        state.withLock { state in
            guard state.running.insert(id).inserted else { return false }
            state.whole[id] = nil
            return true
        }
    }

    /// A follower of `id` ended; `whole` says it stored the whole log of a container that ended.
    func stop(_ id: Int64, whole: Bool = false) {
        state.withLock { state in
            state.running.remove(id)
            if whole { state.whole[id] = .now }
        }
        ended.ring()
    }

    /// Whether a follower stored `id`'s whole log; takes the mark. A follower still running is waited for, up to
    /// `limit`: its container ended, so its stream ends within moments.
    func takeWhole(_ id: Int64, waitingUpTo limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while state.withLock({ $0.running.contains(id) }), ContinuousClock.now < deadline, !Task.isCancelled {
            await ended.wait(upTo: deadline - .now)
        }
        return state.withLock { $0.whole.removeValue(forKey: id) != nil }
    }

    /// Forgets whole-log marks no reconcile took within ``wholeTTL``.
    func expire() {
        let cutoff = ContinuousClock.now - Self.wholeTTL
        state.withLock { state in state.whole = state.whole.filter { $0.value > cutoff } }
    }
}

extension Controller {
    /// Runs a follower for each request, as children of this loop.
    func followLoop() async {
        await withDiscardingTaskGroup { group in
            while let request = await followRequests.next() {
                followRequests.done(request)
                group.addTask {
                    try? await self.followers.withUnit {
                        // It may have waited for a unit: a task that ended meanwhile has its final log already.
                        guard let task = try? await self.store.task(id: request.taskID), !task.state.isFinal else {
                            self.followed.stop(request.taskID)
                            return
                        }
                        await self.follow(request)
                    }
                }
            }
        }
    }

    /// Asks for `pod`'s log to be followed into task `id`'s log, once.
    func followLog(of pod: Pod, task id: Int64) {
        guard configuration.followLogs, configuration.maxFollowedLogs > 0, followed.start(id) else { return }
        followRequests.add(FollowRequest(taskID: id, namespace: pod.namespace, name: pod.name, container: logContainers(of: pod).first))
    }

    /// Streams a running Pod's log into the task log: a reader collects the bytes, a writer stores whole lines once
    /// a second. The first write replaces what is stored (the controller's lines and the log so far, so a
    /// restarted follower does not repeat itself); later ones append.
    func follow(_ request: FollowRequest) async {
        let buffer = LogBuffer()
        defer { followed.stop(request.taskID, whole: buffer.storedWhole) }
        let metadata: Logger.Metadata = ["task.id": "\(request.taskID)", "pod.name": "\(request.name)"]
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    let stream = try await self.client.followPodLog(
                        name: request.name, namespace: request.namespace, container: request.container,
                        limitBytes: self.configuration.maxLogBytes
                    )
                    while let chunk = try await stream.next() { buffer.append(chunk) }
                    // The stream ended without an error: the container ended (or the server closed the stream; the
                    // reconcile checks that the container ended). At the byte limit the log may have been cut.
                    buffer.finish(whole: buffer.receivedBytes < self.configuration.maxLogBytes)
                } catch {
                    self.logger.debug("log follow ended", metadata: metadata.merging(["error": "\(error)"]) { $1 })
                    buffer.finish(whole: false)
                }
            }
            group.addTask {
                var first = true
                while true {
                    // Woken by data or the stream's end; then up to a second more, so a chatty log is stored in
                    // batches. A cancelled follower (the controller stops) writes nothing more.
                    await buffer.waitForData()
                    if !buffer.isFinished { await buffer.waitForEnd(upTo: .seconds(1)) }
                    if Task.isCancelled { return }
                    let finished = buffer.isFinished
                    let text = buffer.take(wholeLinesOnly: !finished)
                    if !text.isEmpty || (first && finished) {
                        // Under the task's log gate: once the final log is recorded, the follower writes nothing.
                        let replace = first
                        let written: Bool
                        do {
                            written = try await self.logGate.withTask(request.taskID) {
                                guard let task = try await self.store.task(id: request.taskID), !task.state.isFinal else { return false }
                                if replace {
                                    try await self.store.replaceLog(id: request.taskID, await self.lifecycleHeader(task: task) + text)
                                } else {
                                    try await self.store.appendLog(id: request.taskID, text)
                                }
                                self.meters.storedLog(bytes: text.utf8.count)
                                return true
                            }
                        } catch {
                            self.logger.warning("cannot store a followed log", metadata: metadata.merging(["error": "\(error)"]) { $1 })
                            buffer.storeFailed()
                            written = true
                        }
                        if !written { return }
                        first = false
                    }
                    if finished {
                        buffer.storedToEnd()
                        return
                    }
                }
            }
        }
    }

    /// The containers whose logs are the task's, in order: the Pod's `taskpod.io/log-containers` annotation, else
    /// `logContainers`; names the Pod lacks are skipped, and when none is left, the Pod's first container.
    func logContainers(of pod: Pod) -> [String] {
        Controller.logContainers(of: pod, configured: configuration.logContainers)
    }

    public static func logContainers(of pod: Pod, configured: [String]) -> [String] {
        let present = (pod.spec?.initContainers ?? []).map(\.name) + (pod.spec?.containers ?? []).map(\.name)
        let asked: [String]
        if let annotation = pod.metadata.annotations?[PodBuilder.logContainersAnnotation] {
            let names = annotation.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            asked = names == ["*"] ? present : names
        } else {
            asked = configured
        }
        var chosen: [String] = []
        for name in asked where present.contains(name) && !chosen.contains(name) { chosen.append(name) }
        if chosen.isEmpty, let first = pod.spec?.containers?.first?.name { chosen = [first] }
        return chosen
    }

    /// The controller's lines for a task so far, one per recorded transition.
    func lifecycleHeader(task: TaskInstance) async -> String {
        var log = ""
        for event in (try? await store.events(id: task.id)) ?? [] {
            let time = Date(timeIntervalSince1970: event.at).formatted(Controller.timeFormat)
            var line = "[taskpod \(time)] \(event.from?.rawValue ?? "new") → \(event.to.rawValue)"
            if let podName = event.podName { line += ", Pod \(podName)" }
            if let node = event.node { line += ", node \(node)" }
            if let reason = event.reason { line += " (\(reason))" }
            log += line + "\n"
        }
        return log
    }
}

/// A Pod log to follow.
struct FollowRequest: Hashable, Sendable {
    var taskID: Int64
    var namespace: String
    var name: String
    var container: String?
}

/// Bytes read from a followed log, waiting to be stored. The reader appends and finishes; the writer waits for data
/// without polling.
final class LogBuffer: Sendable {
    private struct State {
        var bytes: [UInt8] = []
        var received = 0
        var finished = false
        /// The stream ended cleanly below the byte limit.
        var whole = false
        var storeFailed = false
        var storedToEnd = false
    }

    private let state = Mutex(State())
    /// Rung by every append.
    private let data = Doorbell()
    /// Closed by ``finish()``.
    private let end = Doorbell()

    func append(_ chunk: [UInt8]) {
        state.withLock { state in
            state.bytes += chunk
            state.received += chunk.count
        }
        data.ring()
    }

    /// The stream ended; `whole` says it ended cleanly with the whole log.
    func finish(whole: Bool) {
        state.withLock { state in
            state.finished = true
            state.whole = whole
        }
        data.close()
        end.close()
    }

    var isFinished: Bool { state.withLock { $0.finished } }

    /// The bytes the stream delivered so far.
    var receivedBytes: Int { state.withLock { $0.received } }

    /// A part of the log could not be stored.
    func storeFailed() { state.withLock { $0.storeFailed = true } }

    /// The writer stored what was left after the stream ended.
    func storedToEnd() { state.withLock { $0.storedToEnd = true } }

    /// True when the stream ended cleanly below the byte limit and every part of it was stored.
    var storedWhole: Bool { state.withLock { $0.whole && $0.storedToEnd && !$0.storeFailed } }

    /// The buffered text up to its last newline (or all of it), removed from the buffer.
    func take(wholeLinesOnly: Bool) -> String {
        state.withLock { state in
            let end: Int
            if wholeLinesOnly {
                guard let newline = state.bytes.lastIndex(of: 0x0A) else { return "" }
                end = newline + 1
            } else {
                end = state.bytes.count
            }
            let text = String(decoding: state.bytes[..<end], as: UTF8.self)
            state.bytes.removeFirst(end)
            return text
        }
    }

    /// Returns once bytes were appended since the last call, the stream ended, or the task is cancelled.
    func waitForData() async { await data.wait() }

    /// Returns once the stream ended, after `limit`, or when the task is cancelled.
    func waitForEnd(upTo limit: Duration) async { await end.wait(upTo: limit) }
}
