import Foundation
import JSON
import KubeClient
import Logging
import TaskStore

extension Controller {
    /// Records now and then that this controller is alive.
    func heartbeatLoop() async {
        while !Task.isCancelled {
            do {
                try await liveness.step("heartbeat") { try await store.heartbeat(id: configuration.controllerID) }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("heartbeat failed", metadata: ["error": "\(error)"])
            }
            do {
                try await Task.sleep(for: configuration.heartbeatInterval)
            } catch {
                return
            }
        }
    }

    /// Adopts the Pods and tasks of peers that stopped or whose heartbeat lapsed.
    func adoptionLoop() async {
        // Peers with nothing left to adopt; a peer leaves the set once the store no longer lists it as dead.
        var finished: Set<String> = []
        while !Task.isCancelled {
            do {
                try await liveness.step("adoption") {
                    let dead = try await deadPeers()
                    finished.formIntersection(dead)
                    for peer in dead where !finished.contains(peer) {
                        let adopted = try await adopt(peer: peer)
                        if adopted == 0 { finished.insert(peer) }
                    }
                }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("adoption pass failed; will retry", metadata: ["error": "\(error)"])
            }
            do {
                try await Task.sleep(for: configuration.adoptionInterval)
            } catch {
                return
            }
        }
    }

    /// The controllers whose Pods this one should take over.
    func deadPeers() async throws -> [String] {
        let now = Date().timeIntervalSince1970
        return try await store.controllers().filter { peer in
            peer.id != configuration.controllerID
                && (configuration.exclusive || peer.stoppedAt != nil || now - peer.heartbeatAt > configuration.heartbeatTimeout.inSeconds)
        }.map(\.id)
    }

    /// Relabels a dead peer's live Pods (only the `airflow-worker` label, in parallel) and moves its tasks to this
    /// controller. Pods that ended while nobody watched reach the informer as ADDED and are finalized by the
    /// reconcile; tasks whose Pod is gone are found by it too (`PodLost`). Returns how many Pods and tasks moved.
    @discardableResult
    func adopt(peer: String) async throws -> Int {
        let start = ContinuousClock.now
        // Tasks first, then Pods: once a relabelled Pod reaches the informer, its task is already ours.
        let moved = try await store.reassign(from: peer, to: configuration.controllerID)
        let selector = "airflow-worker=\(PodNaming.safeLabelValue(peer)),\(PodBuilder.doneLabel)!=True"
        var pods: [Pod] = []
        for namespace in watchedNamespaces {
            pods += try await client.listAllPods(namespace: namespace, labelSelector: selector).items
        }
        let me = PodNaming.safeLabelValue(configuration.controllerID)
        let patch: JSONValue = ["metadata": ["labels": ["airflow-worker": .string(me)]]]
        let limiter = AsyncSemaphore(max(1, configuration.createConcurrency))
        let relabelled = await withTaskGroup(of: Bool.self) { group -> Int in
            for pod in pods {
                group.addTask {
                    (try? await limiter.withUnit {
                        do {
                            _ = try await self.client.patchPod(name: pod.name, namespace: pod.namespace, patch: patch, type: .merge)
                            return true
                        } catch let error as KubeError where error.code == .notFound {
                            return false
                        } catch {
                            self.logger.warning("cannot adopt a pod; next pass retries", metadata: [
                                "pod.name": "\(pod.name)", "error": "\(error)",
                            ])
                            return false
                        }
                    }) ?? false
                }
            }
            var count = 0
            for await ok in group where ok { count += 1 }
            return count
        }
        // A queued task the peer had claimed goes back to the pool: the launcher claims it again (a Pod the peer
        // created for it is found by name, 409, and adopted), instead of it waiting for a launch nobody will do.
        for task in moved where task.state == .queued {
            try await store.releaseClaim(id: task.id, controllerID: configuration.controllerID)
        }
        for task in moved { queue.add(task.id) }
        meters.adopted(pods: relabelled, tasks: moved.count)
        if relabelled > 0 || !moved.isEmpty {
            logger.notice("adopted a dead controller's work", metadata: [
                "controller.peer": "\(peer)", "pods": "\(relabelled)", "tasks": "\(moved.count)",
                "duration": "\(ContinuousClock.now - start)",
            ])
        }
        return relabelled + moved.count
    }

    /// The namespaces this controller watches: nil means all.
    var watchedNamespaces: [String?] {
        if configuration.allNamespaces { return [nil] }
        var namespaces = [configuration.namespace]
        for namespace in configuration.extraNamespaces where !namespaces.contains(namespace) { namespaces.append(namespace) }
        return namespaces
    }
}
