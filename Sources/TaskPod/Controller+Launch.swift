import Foundation
import JSON
import KubeClient
import Logging
import TaskStore

extension Controller {
    /// Claims queued tasks up to the free slots and creates their Pods concurrently.
    func launchLoop() async {
        var first = true
        while !Task.isCancelled {
            do {
                let counts = try await store.counts()
                let busy = (counts[.launched] ?? 0) + (counts[.running] ?? 0) + launches.value
                let free = configuration.parallelism - busy
                if free > 0 {
                    // After a restart, tasks this controller claimed but had not launched are claimed again.
                    let claimed = try await store.claimQueued(
                        limit: free, controllerID: configuration.controllerID,
                        reclaimFrom: first ? [configuration.controllerID] : []
                    )
                    first = false
                    if !claimed.isEmpty { await launch(claimed) }
                }
            } catch {
                logger.warning("launch loop failed; retrying", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: configuration.pollInterval)
        }
    }

    func launch(_ tasks: [TaskInstance]) async {
        launches.add(tasks.count)
        let limiter = AsyncSemaphore(max(1, configuration.createConcurrency))
        await withDiscardingTaskGroup { group in
            for task in tasks {
                await limiter.acquire()
                group.addTask {
                    await self.launch(task)
                    await limiter.release()
                }
            }
        }
    }

    /// Creates one task's Pod; a 409 on create is the same try's Pod from an earlier attempt: adopt it.
    func launch(_ task: TaskInstance) async {
        defer { launches.add(-1) }
        var metadata: Logger.Metadata = ["task.id": "\(task.id)", "task.key": "\(task.key)"]
        let pod: JSONValue
        do {
            pod = try builder.build(id: task.id, key: task.key, spec: task.spec)
        } catch {
            await fail(task, reason: "InvalidPodOverride: \(error)")
            return
        }
        let name = pod[path: "metadata", "name"]?.stringValue ?? ""
        let namespace = pod[path: "metadata", "namespace"]?.stringValue ?? configuration.namespace
        metadata["pod.name"] = "\(name)"
        do {
            _ = try await client.createPod(pod, namespace: namespace)
            logger.debug("pod created", metadata: metadata)
        } catch let error as KubeError where error.code == .alreadyExists {
            do {
                let existing = try await client.pod(name: name, namespace: namespace)
                guard Controller.taskID(of: existing) == task.id else {
                    await fail(task, reason: "PodNameConflict: a Pod named \(name) exists in \(namespace) and belongs to another task")
                    return
                }
                logger.info("pod already exists; adopting it", metadata: metadata)
            } catch {
                logger.warning("cannot read the existing pod; will retry", metadata: metadata.merging(["error": "\(error)"]) { $1 })
                try? await store.releaseClaim(id: task.id, controllerID: configuration.controllerID)
                return
            }
        } catch let error as KubeError where [400, 403, 404, 422].contains(error.httpStatus) && !Controller.isQuota(error) {
            await fail(task, reason: "PodRejected: \(error.reason): \(error.message)")
            return
        } catch {
            // Transient (retries exhausted, quota, connection): the task stays queued for a later try.
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
        await queue.add(task.id)
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
        let time = ISO8601DateFormatter().string(from: Date())
        return "[taskpod \(time)] \(text)\n"
    }
}
