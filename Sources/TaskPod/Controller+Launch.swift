import Foundation
import JSON
import KubeClient
import Logging
import TaskStore

extension Controller {
    /// Claims queued tasks up to the free slots (global `parallelism`, per-DAG and per-namespace limits) and
    /// creates their Pods concurrently.
    func launchLoop() async {
        var first = true
        while !stopping.isClosed, !Task.isCancelled {
            do {
                // After a restart, tasks this controller claimed but had not launched are claimed again.
                let reclaim: Set<String> = first ? [configuration.controllerID] : []
                try await liveness.step("launcher") {
                    let claimed = try await claimWithinLimits(reclaim: reclaim)
                    first = false
                    if !claimed.isEmpty { await launch(claimed) }
                }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("launch loop failed; retrying", metadata: ["error": "\(error)"])
            }
            // Woken early by a ring (tasks may be waiting) or the stop.
            await launcherBell.wait(upTo: configuration.pollInterval)
        }
    }

    /// Picks queued tasks that fit every limit, in queue order, and claims them.
    func claimWithinLimits(reclaim: Set<String>) async throws -> [TaskInstance] {
        let load = try await store.activeLoad()
        let free = configuration.parallelism - load.total - launches.value
        meters.openSlots(free)
        guard free > 0 else { return [] }
        let limited = configuration.maxActiveTasksPerDag != nil || !configuration.maxActiveTasksByDag.isEmpty
            || configuration.maxActiveTasksPerNamespace != nil
        guard limited else {
            return try await store.claimQueued(limit: free, controllerID: configuration.controllerID, reclaimFrom: reclaim)
        }
        var byDag = load.byDag
        var byNamespace: [String: Int] = [:]
        for (namespace, count) in load.byNamespace { byNamespace[namespace.isEmpty ? configuration.namespace : namespace, default: 0] += count }
        var picked: [Int64] = []
        var waiting: [String: [Int64]] = [:]
        for task in try await store.claimCandidates(limit: max(free * 8, 256), reclaimFrom: reclaim) {
            guard picked.count < free else { break }
            let namespace = task.spec.namespace ?? configuration.namespace
            if let limit = dagLimit(task.key.dagID), byDag[task.key.dagID, default: 0] >= limit {
                let why = "Waiting: DAG \(task.key.dagID) has \(limit) live tasks (max_active_tasks \(limit))"
                if task.reason != why { waiting[why, default: []].append(task.id) }
                continue
            }
            if let limit = configuration.maxActiveTasksPerNamespace, byNamespace[namespace, default: 0] >= limit {
                let why = "Waiting: namespace \(namespace) has \(limit) live tasks (max_active_tasks_per_namespace \(limit))"
                if task.reason != why { waiting[why, default: []].append(task.id) }
                continue
            }
            byDag[task.key.dagID, default: 0] += 1
            byNamespace[namespace, default: 0] += 1
            picked.append(task.id)
        }
        for (why, ids) in waiting { try await store.noteWaiting(ids: ids, reason: why) }
        guard !picked.isEmpty else { return [] }
        return try await store.claim(ids: picked, controllerID: configuration.controllerID, reclaimFrom: reclaim)
    }

    func dagLimit(_ dag: String) -> Int? {
        configuration.maxActiveTasksByDag[dag] ?? configuration.maxActiveTasksPerDag
    }

    /// Creates the claimed tasks' Pods, `createConcurrency` at once. Once the controller stops, the creates in progress
    /// finish and the tasks not started yet are handed back to the queue (unclaimed) for any controller to take.
    func launch(_ tasks: [TaskInstance]) async {
        launches.add(tasks.count)
        let limiter = AsyncSemaphore(max(1, configuration.createConcurrency))
        var unstarted: [TaskInstance] = []
        await withDiscardingTaskGroup { group in
            for task in tasks {
                let acquired = (try? await limiter.acquire()) != nil
                guard acquired, !stopping.isClosed, !Task.isCancelled else {
                    if acquired { await limiter.release() }
                    unstarted.append(task)
                    continue
                }
                group.addTask {
                    await self.launch(task)
                    await limiter.release()
                }
            }
        }
        guard !unstarted.isEmpty else { return }
        launches.add(-unstarted.count)
        for task in unstarted {
            do {
                try await store.releaseClaim(id: task.id, controllerID: configuration.controllerID)
            } catch {
                logger.warning("cannot hand back a claimed task; a peer adopts it after this controller's stop", metadata: [
                    "task.id": "\(task.id)", "error": "\(error)",
                ])
            }
        }
    }

    /// Creates one task's Pod; a 409 on create is the same try's Pod from an earlier attempt: adopt it.
    func launch(_ task: TaskInstance) async {
        defer {
            launches.add(-1)
            liveness.busy("launcher")  // progress within a batch of creates
        }
        var metadata: Logger.Metadata = ["task.id": "\(task.id)", "task.key": "\(task.key)"]
        let pod: JSONValue
        do {
            pod = try builder.build(id: task.id, key: task.key, spec: task.spec, template: task.spec.podTemplate)
        } catch {
            await fail(task, reason: "InvalidPodOverride: \(error)")
            return
        }
        let name = pod[path: "metadata", "name"]?.stringValue ?? ""
        let namespace = pod[path: "metadata", "namespace"]?.stringValue ?? configuration.namespace
        metadata["pod.name"] = "\(name)"
        do {
            _ = try await client.createPod(pod, namespace: namespace)
            meters.created(.created)
            meters.launched(queuedAt: task.queuedAt)
            logger.debug("pod created", metadata: metadata)
        } catch let error as KubeError where error.code == .alreadyExists {
            do {
                let existing = try await client.pod(name: name, namespace: namespace)
                guard Controller.taskID(of: existing) == task.id else {
                    meters.created(.rejected)
                    await fail(task, reason: "PodNameConflict: a Pod named \(name) exists in \(namespace) and belongs to another task")
                    return
                }
                meters.created(.adopted)
                meters.launched(queuedAt: task.queuedAt)
                logger.info("pod already exists; adopting it", metadata: metadata)
            } catch {
                meters.created(.failed)
                logger.warning("cannot read the existing pod; will retry", metadata: metadata.merging(["error": "\(error)"]) { $1 })
                try? await store.releaseClaim(id: task.id, controllerID: configuration.controllerID)
                return
            }
        } catch let error as KubeError where [400, 403, 404, 422].contains(error.httpStatus) && !Controller.isQuota(error) {
            meters.created(.rejected)
            await fail(task, reason: "PodRejected: \(error.reason): \(error.message)")
            return
        } catch {
            // Transient (retries exhausted, quota, connection): the task stays queued for a later try.
            meters.created(.failed)
            logger.warning("pod create failed; the task stays queued", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            try? await store.releaseClaim(id: task.id, controllerID: configuration.controllerID)
            return
        }
        do {
            let recorded = try await store.transition(
                id: task.id, from: [.queued], to: .launched, podName: name, podNamespace: namespace,
                controllerID: configuration.controllerID
            )
            if recorded == nil, let now = try await store.task(id: task.id), now.podName == nil, now.state.isFinal {
                // Cancelled or timed out while the Pod was being created, and no reconcile took the Pod on:
                // it has nothing to run for. (When the informer saw the Pod first, the reconcile recorded it.)
                logger.info("task ended while its pod was created; deleting the pod", metadata: metadata)
                do {
                    try await client.deletePod(name: name, namespace: namespace)
                } catch let error as KubeError where error.code == .notFound {}
                return
            }
        } catch {
            logger.error("cannot record the launch; the next reconcile will", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
        queue.add(task.id)
    }

    static func isQuota(_ error: KubeError) -> Bool {
        error.httpStatus == 403 && error.message.contains("exceeded quota")
    }

    func fail(_ task: TaskInstance, reason: String) async {
        logger.warning("task failed before its pod was created", metadata: ["task.id": "\(task.id)", "task.reason": "\(reason)"])
        do {
            _ = try await store.transition(id: task.id, from: [.queued], to: .failed, reason: reason, controllerID: configuration.controllerID)
            try await store.replaceLog(id: task.id, Controller.note("failed before its Pod was created: \(reason)"))
        } catch {
            logger.error("cannot record the failure", metadata: ["task.id": "\(task.id)", "error": "\(error)"])
        }
    }

    /// A controller line in a task log.
    static func note(_ text: String) -> String {
        "[taskpod \(Date().formatted(Controller.timeFormat))] \(text)\n"
    }

    /// The time of the controller's lines in task logs: `2026-12-02T10:48:26Z`. One style for every line; a
    /// formatter built per line costs more than the rest of the line.
    static let timeFormat = Date.ISO8601FormatStyle()
}
