import Foundation
import JSON
import KubeClient
import Logging
import TaskStore

extension Controller {
    /// Brings one task in line with its Pod. Level-triggered and idempotent: it reads the task from the
    /// store and the Pod from the cache each time, so a repeat after a crash does the same thing.
    func reconcile(id: Int64) async throws {
        guard let task = try await store.task(id: id) else { return }
        let name = task.podName ?? PodNaming.podName(for: task.key)
        let namespace = task.podNamespace ?? task.spec.namespace ?? configuration.namespace
        let pod = cache.pod(namespace: namespace, name: name)
        let metadata: Logger.Metadata = ["task.id": "\(id)", "task.key": "\(task.key)", "pod.name": "\(name)"]

        if task.state.isFinal {
            // Ended, but its Pod is still here (a crash between recording and cleanup): clean up.
            if let pod {
                try await cleanUp(pod, after: task.state, metadata: metadata)
            } else {
                cache.forgetDeleted(namespace: namespace, name: name)
            }
            return
        }
        if task.state == .queued, pod == nil, !task.cancelRequested { return }  // the launcher owns it

        var lifecycle = TaskLifecycle(
            state: task.state, imagePullGrace: configuration.imagePullGrace, pendingTimeout: configuration.workerPodsPendingTimeout
        )
        let action: TaskLifecycle.Action
        if task.cancelRequested {
            action = lifecycle.cancelRequested()
        } else if let pod {
            let launchedFor = task.launchedAt.map { Duration.seconds(Date().timeIntervalSince1970 - $0) } ?? .zero
            action = lifecycle.podObserved(pod, launchedFor: launchedFor)
        } else if cache.wasDeleted(namespace: namespace, name: name) {
            action = lifecycle.podGone(deletedWhileRunning: true)
        } else if cache.synced, Date().timeIntervalSince1970 - (task.launchedAt ?? task.queuedAt) > configuration.podLostGrace.inSeconds {
            // Not in a synced cache long after its creation: make sure with a direct read.
            do {
                let found = try await client.pod(name: name, namespace: namespace)
                cache.upsert(Controller.cachedView(found))
                queue.add(id)
                return
            } catch let error as KubeError where error.code == .notFound {
                action = lifecycle.podGone(deletedWhileRunning: false)
            }
        } else {
            return
        }

        if task.state == .queued, lifecycle.state != .queued, lifecycle.state != .cancelled {
            // The informer saw the Pod before the launcher recorded it.
            _ = try await store.transition(
                id: id, from: [.queued], to: .launched, podName: name, podNamespace: namespace,
                controllerID: configuration.controllerID
            )
        }

        switch action {
        case .none:
            if let pod, pod.phase == .running, task.state == .running { followLog(of: pod, task: id) }
            return
        case .markRunning(let node):
            _ = try await store.transition(id: id, from: [.queued, .launched], to: .running, node: node)
            logger.debug("task running", metadata: metadata)
            if let pod { followLog(of: pod, task: id) }
        case .finish(let state, let reason):
            guard let pod else { return }
            if task.state != .running, pod.status?.startTime != nil {
                // It ran between two looks: keep the history whole.
                _ = try await store.transition(id: id, from: [.queued, .launched], to: .running, node: pod.spec?.nodeName)
            }
            let seen = Date()
            let log = try await captureLog(of: pod, task: task, ending: state, reason: reason)
            let store = self.store
            let ended = try await logGate.withTask(id) {
                try await store.replaceLog(id: id, log)
                return try await store.transition(id: id, from: [.queued, .launched, .running], to: state, reason: reason, node: pod.spec?.nodeName)
            }
            meters.storedLog(bytes: log.utf8.count)
            if ended != nil { meters.completed(pod, seen: seen) }
            logger.info("task ended", metadata: metadata.merging(["task.state": "\(state)", "task.reason": "\(reason ?? "")"]) { $1 })
            try await cleanUp(pod, after: state, metadata: metadata)
        case .abandon(let reason):
            guard let pod else { return }
            let log = try await captureLog(of: pod, task: task, ending: .failed, reason: reason)
            let store = self.store
            _ = try await logGate.withTask(id) {
                try await store.replaceLog(id: id, log)
                return try await store.transition(id: id, from: [.queued, .launched, .running], to: .failed, reason: reason)
            }
            meters.storedLog(bytes: log.utf8.count)
            logger.warning("task abandoned", metadata: metadata.merging(["task.reason": "\(reason)"]) { $1 })
            try await deletePod(pod)
        case .fail(let reason):
            let store = self.store
            // The Pod is gone, but its events outlive it for a while (an API server keeps them an hour).
            let events = await warningEventLines(podName: name, namespace: namespace, uid: nil)
            let failed = try await logGate.withTask(id) {
                try await store.appendLog(id: id, events + Controller.note("task failed: \(reason)"))
                return try await store.transition(id: id, from: [.queued, .launched, .running], to: .failed, reason: reason)
            }
            logger.warning("task failed", metadata: metadata.merging(["task.reason": "\(reason)"]) { $1 })
            // Its final state is recorded: the Pod's deletion mark has served.
            cache.forgetDeleted(namespace: namespace, name: name)
            if failed != nil, reason == "PodLost", configuration.retryLostPods {
                var next = task.key
                next.tryNumber += 1
                do {
                    let retry = try await store.submit(key: next, spec: task.spec)
                    try await store.appendLog(id: id, Controller.note("queued try \(next.tryNumber) as task \(retry.id) (retry_lost_pods)"))
                } catch let error as TaskStoreError where error.code == .duplicate {
                    // The next try exists already (queued by the scheduler or an earlier pass).
                }
            }
        case .cancel:
            if pod != nil || task.state != .queued {
                do {
                    try await client.deletePod(name: name, namespace: namespace)
                } catch let error as KubeError where error.code == .notFound {
                    // Already gone.
                }
            }
            try await store.appendLog(id: id, Controller.note("cancelled by a user; Pod \(namespace)/\(name) deleted"))
            _ = try await store.transition(id: id, from: [.queued, .launched, .running], to: .cancelled, reason: "Cancelled")
            logger.info("task cancelled", metadata: metadata)
        }
    }

    /// The task log: the controller's lines for the task so far, the Pod's log (capped), and how it ended.
    /// When the Pod's log cannot be read any more (the Pod is gone), what was followed while it ran is kept.
    func captureLog(of pod: Pod, task: TaskInstance, ending state: TaskState, reason: String?) async throws -> String {
        let events = state == .failed ? await warningEventLines(podName: pod.name, namespace: pod.namespace, uid: pod.metadata.uid) : ""
        let ending = events + Controller.note("Pod \(pod.name) ended \(pod.phase?.rawValue ?? "unknown")\(reason.map { ": \($0)" } ?? ""); task \(state.rawValue)")
        if let followed = await followedLog(of: pod, task: task) { return followed + ending }
        do {
            let text = try await podLogText(of: pod)
            var log = await lifecycleHeader(task: task)
            if text.utf8.count > configuration.maxLogBytes {
                log += String(decoding: text.utf8.prefix(configuration.maxLogBytes), as: UTF8.self)
                log += "\n" + Controller.note("log cut at \(configuration.maxLogBytes) bytes (max_log_bytes)")
            } else {
                log += text
                if !text.isEmpty, !text.hasSuffix("\n") { log += "\n" }
            }
            return log + ending
        } catch let error as TransportError {
            throw error
        } catch let error as KubeError where error.httpStatus == 429 || error.httpStatus >= 500 {
            throw error
        } catch {
            var kept = (try? await store.log(id: task.id)) ?? ""
            if kept.isEmpty { kept = await lifecycleHeader(task: task) }
            if !kept.isEmpty, !kept.hasSuffix("\n") { kept += "\n" }
            return kept + Controller.note("the Pod's log could not be read at the end (\(error)); kept what was followed") + ending
        }
    }

    /// The task log a follower stored while the Pod ran, when it holds the whole of the Pod's log: one log container,
    /// which has ended, and a follower whose stream ended cleanly below `maxLogBytes` with every part stored. Nil
    /// otherwise: the log is then read in full. A follower still running is waited for briefly (its stream ends
    /// with the container).
    func followedLog(of pod: Pod, task: TaskInstance) async -> String? {
        guard configuration.followLogs, configuration.maxFollowedLogs > 0 else { return nil }
        let containers = logContainers(of: pod)
        guard containers.count == 1, let container = containers.first,
              pod.status?.containerStatuses?.first(where: { $0.name == container })?.state?.terminated != nil,
              await followed.takeWhole(task.id, waitingUpTo: .seconds(2)),
              var log = try? await store.log(id: task.id), !log.isEmpty
        else { return nil }
        if !log.hasSuffix("\n") { log += "\n" }
        return log
    }

    /// The Pod's log as the task log shows it, at most `maxLogBytes + 1` bytes: the one container's text, or for
    /// several a `--- container NAME ---` section each, in order. The first container's errors are thrown (the
    /// caller keeps what was followed, or retries on API errors); a later container that cannot be read (it
    /// never started) gets a note in its section.
    func podLogText(of pod: Pod) async throws -> String {
        let containers = logContainers(of: pod)
        let limit = configuration.maxLogBytes + 1
        guard containers.count > 1 else {
            return try await client.podLog(name: pod.name, namespace: pod.namespace, container: containers.first, limitBytes: limit)
        }
        var text = ""
        for (index, container) in containers.enumerated() {
            let room = limit - text.utf8.count
            guard room > 0 else { break }
            text += "--- container \(container) ---\n"
            do {
                let part = try await client.podLog(name: pod.name, namespace: pod.namespace, container: container, limitBytes: room)
                text += part
                if !part.isEmpty, !part.hasSuffix("\n") { text += "\n" }
            } catch let error as KubeError where index > 0 && error.httpStatus < 500 && error.httpStatus != 429 {
                text += Controller.note("the log of container \(container) could not be read (\(error.message))")
            }
        }
        return text
    }

    /// Deletes the Pod of an ended task, or keeps it labelled done, as the policy says.
    func cleanUp(_ pod: Pod, after state: TaskState, metadata: Logger.Metadata) async throws {
        let delete = state == .cancelled
            || (configuration.deleteWorkerPods && (state != .failed || configuration.deleteWorkerPodsOnFailure))
        if delete {
            try await deletePod(pod)
        } else {
            guard pod.metadata.labels?[PodBuilder.doneLabel] != "True" else { return }
            let patch: JSONValue = ["metadata": ["labels": [PodBuilder.doneLabel: "True"]]]
            do {
                _ = try await client.patchPod(name: pod.name, namespace: pod.namespace, patch: patch, type: .merge)
            } catch let error as KubeError where error.code == .notFound {
                cache.remove(pod)
            }
        }
    }
}

extension Controller {
    func deletePod(_ pod: Pod) async throws {
        guard pod.metadata.deletionTimestamp == nil else { return }
        do {
            try await client.deletePod(name: pod.name, namespace: pod.namespace)
        } catch let error as KubeError where error.code == .notFound {
            cache.remove(pod)
        }
    }

    /// Fails tasks queued longer than `taskQueuedTimeout` without a Pod.
    func failStuckQueued() async throws {
        guard let timeout = configuration.taskQueuedTimeout else { return }
        let cutoff = Date().timeIntervalSince1970 - timeout.inSeconds
        for task in try await store.queuedTasks(queuedBefore: cutoff) {
            if cache.pod(namespace: task.podNamespace ?? task.spec.namespace ?? configuration.namespace, name: PodNaming.podName(for: task.key)) != nil {
                continue  // its Pod exists; the reconcile records the launch
            }
            let reason = "QueuedTimeout: no Pod was created within \(Int(timeout.inSeconds)) s (task_queued_timeout)"
            if try await store.transition(id: task.id, from: [.queued], to: .failed, reason: reason) != nil {
                try await store.appendLog(id: task.id, Controller.note("task failed: \(reason)"))
                logger.warning("task failed", metadata: ["task.id": "\(task.id)", "task.reason": "\(reason)"])
            }
        }
    }
}
