import Foundation
import KubeClient
import Logging
import TaskStore

/// Finds and deletes task Pods nobody needs any more, as `airflow kubernetes cleanup-pods` does: Pods kept after a
/// failure (`delete_worker_pods_on_failure: false` labels them `airflow_executor_done=True`) and Pods left behind
/// (labelled `app.kubernetes.io/managed-by=taskpod`) whose task is final in the store or unknown to it.
///
/// A Pod whose task is live (queued, launched, running) is never a candidate. A Pod whose task the store does not
/// know is one only when it ended (Succeeded or Failed) or when its `airflow-worker` label names a controller of
/// this store: a running Pod of another store's controller is left alone.
///
/// ```swift
/// let cleanup = PodCleanup(client: client, store: store, logger: logger)
/// let pods = try await cleanup.candidates(scope: .namespace("jobs"), minAge: .seconds(3600))
/// try await cleanup.delete(pods)
/// ```
public struct PodCleanup: Sendable {
    /// Where to look for Pods.
    public enum Scope: Sendable, Hashable {
        case namespace(String)
        case allNamespaces
    }

    /// A Pod to delete, and why.
    public struct Candidate: Sendable, Hashable {
        public var name: String
        public var namespace: String
        /// The Pod's phase, `Unknown` when it has none.
        public var phase: String
        /// Seconds since the Pod ended (its last container finished), else since it was created.
        public var age: Int
        /// Why it may go, e.g. `task failed; Pod kept (airflow_executor_done=True)`.
        public var reason: String
    }

    /// The label selector of every Pod taskpod creates.
    public static let managedBySelector = "app.kubernetes.io/managed-by=taskpod"

    public let client: KubeClient
    public let store: TaskStore
    public let logger: Logger

    public init(client: KubeClient, store: TaskStore, logger: Logger) {
        self.client = client
        self.store = store
        self.logger = logger
    }

    /// The Pods that may be deleted, ended at least `minAge` ago, oldest first.
    public func candidates(scope: Scope, minAge: Duration = .zero, now: Date = Date()) async throws -> [Candidate] {
        let namespace: String? = switch scope {
        case .namespace(let name): name
        case .allNamespaces: nil
        }
        let pods = try await client.listAllPods(namespace: namespace, labelSelector: Self.managedBySelector).items
        let controllers = Set(try await store.controllers().map { PodNaming.safeLabelValue($0.id) })
        var found: [Candidate] = []
        for pod in pods where pod.metadata.deletionTimestamp == nil {
            let age = Int(now.timeIntervalSince(Self.endOrCreation(of: pod) ?? now))
            guard Duration.seconds(age) >= minAge else { continue }
            guard let reason = Self.reason(pod: pod, task: try await task(of: pod), controllers: controllers) else { continue }
            found.append(Candidate(name: pod.name, namespace: pod.namespace, phase: pod.phase?.rawValue ?? "Unknown", age: age,
                                   reason: reason))
        }
        return found.sorted { ($0.age, $1.namespace, $1.name) > ($1.age, $0.namespace, $0.name) }
    }

    /// Deletes the candidates; a Pod already gone counts as deleted.
    ///
    /// - Returns: How many were deleted.
    @discardableResult
    public func delete(_ candidates: [Candidate]) async throws -> Int {
        for candidate in candidates {
            do {
                try await client.deletePod(name: candidate.name, namespace: candidate.namespace)
            } catch let error as KubeError where error.code == .notFound {
                // Gone already: the controller or a person deleted it meanwhile.
            }
            logger.info("Deleted a Pod", metadata: [
                "pod.name": "\(candidate.name)", "pod.namespace": "\(candidate.namespace)", "reason": "\(candidate.reason)",
            ])
        }
        return candidates.count
    }

    /// Why `pod` may be deleted, nil when it must stay.
    ///
    /// - Parameters:
    ///   - task: The Pod's task in the store, nil when the store does not know it.
    ///   - controllers: The `airflow-worker` label values of this store's controllers.
    static func reason(pod: Pod, task: TaskInstance?, controllers: Set<String>) -> String? {
        let labels = pod.metadata.labels ?? [:]
        if let task {
            guard task.state.isFinal else { return nil }
            if labels[PodBuilder.doneLabel] == "True" {
                return "task \(task.state.rawValue); Pod kept (\(PodBuilder.doneLabel)=True)"
            }
            return "task \(task.state.rawValue); Pod left behind"
        }
        if pod.phase == .succeeded || pod.phase == .failed { return "task unknown to the store; Pod ended" }
        if let worker = labels["airflow-worker"], controllers.contains(worker) {
            return "task unknown to the store; its controller \(worker) is this store's"
        }
        return nil
    }

    /// The task the Pod's annotations name, when the store holds that very task (same id and key).
    private func task(of pod: Pod) async throws -> TaskInstance? {
        let annotations = pod.metadata.annotations ?? [:]
        guard let id = annotations[PodBuilder.taskIDAnnotation].flatMap(Int64.init), let task = try await store.task(id: id) else {
            return nil
        }
        let key = task.key
        let matches = annotations["dag_id"] == key.dagID && annotations["task_id"] == key.taskID
            && annotations["run_id"] == key.runID && annotations["try_number"] == String(key.tryNumber)
            && (annotations["map_index"].flatMap(Int.init) ?? -1) == key.mapIndex
        return matches ? task : nil
    }

    /// When the Pod's last container finished, else when the Pod was created.
    static func endOrCreation(of pod: Pod) -> Date? {
        let statuses = (pod.status?.containerStatuses ?? []) + (pod.status?.initContainerStatuses ?? [])
        let finished = statuses.compactMap { $0.state?.terminated?.finishedAt.flatMap(parseTime) }
        return finished.max() ?? pod.metadata.creationTimestamp.flatMap(parseTime)
    }

    private static func parseTime(_ text: String) -> Date? {
        (try? Date(text, strategy: fractionalTime)) ?? (try? Date(text, strategy: wholeTime))
    }

    private static let wholeTime = Date.ISO8601FormatStyle()
    private static let fractionalTime = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
