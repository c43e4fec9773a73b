import Foundation
import KubeClient
import Metrics
import TaskStore

/// The figures the controller emits through swift-metrics (names and meanings in docs/metrics.md). The instruments
/// with fixed labels are made once, at init; transitions (labelled by target state and reason class) through the
/// factory on use.
///
/// ```swift
/// let controller = try Controller(configuration: config, store: store, client: client, logger: logger,
///                                 meters: ControllerMeters(factory: metrics.factory))
/// ```
public struct ControllerMeters: Sendable {
    public enum CreateResult: String, Sendable, CaseIterable {
        /// 201: the Pod was made.
        case created
        /// 409 with the same task's Pod: an earlier attempt made it; adopted.
        case adopted
        /// Refused for good (400, 403 other than quota, 404, 422, or a Pod of another task by that name).
        case rejected
        /// Failed for now (retries exhausted, quota, connection): the task stays queued.
        case failed
    }

    let factory: any MetricsFactory
    let creates: [CreateResult: Counter]
    let tasksByState: [TaskState: Gauge]
    let openSlotsGauge: Gauge
    let queuedTasks: Gauge
    let runningTasks: Gauge
    let leader: Gauge
    let launchLatency: Metrics.Timer
    let completionLatency: Metrics.Timer
    let logBytes: Counter
    let adoptedPods: Counter
    let adoptedTasks: Counter

    /// - Parameter factory: where the figures go; nil for the process's `MetricsSystem.factory` (bootstrap it first).
    public init(factory: (any MetricsFactory)? = nil) {
        let factory = factory ?? MetricsSystem.factory
        self.factory = factory
        creates = Dictionary(uniqueKeysWithValues: CreateResult.allCases.map {
            ($0, Counter(label: "taskpod_pod_creates_total", dimensions: [("result", $0.rawValue)], factory: factory))
        })
        tasksByState = Dictionary(uniqueKeysWithValues: TaskState.allCases.map {
            ($0, Gauge(label: "taskpod_tasks", dimensions: [("state", $0.rawValue)], factory: factory))
        })
        openSlotsGauge = Gauge(label: "taskpod_executor_open_slots", factory: factory)
        queuedTasks = Gauge(label: "taskpod_executor_queued_tasks", factory: factory)
        runningTasks = Gauge(label: "taskpod_executor_running_tasks", factory: factory)
        leader = Gauge(label: "taskpod_leader", factory: factory)
        launchLatency = Metrics.Timer(label: "taskpod_launch_latency_seconds", factory: factory)
        completionLatency = Metrics.Timer(label: "taskpod_completion_latency_seconds", factory: factory)
        logBytes = Counter(label: "taskpod_log_bytes_stored_total", factory: factory)
        adoptedPods = Counter(label: "taskpod_adopted_pods_total", factory: factory)
        adoptedTasks = Counter(label: "taskpod_adopted_tasks_total", factory: factory)
    }

    /// Counts one stored state change by its target state and reason class.
    func transitioned(_ transition: TaskTransition) {
        Counter(label: "taskpod_task_transitions_total", dimensions: [
            ("to", transition.to.rawValue), ("reason_class", ReasonClass(reason: transition.reason).rawValue),
        ], factory: factory).increment()
    }

    func leading(_ leads: Bool) {
        leader.record(leads ? 1 : 0)
    }

    func openSlots(_ free: Int) {
        openSlotsGauge.record(max(0, free))
    }

    func storedLog(bytes: Int) {
        logBytes.increment(by: bytes)
    }

    func adopted(pods: Int, tasks: Int) {
        adoptedPods.increment(by: pods)
        adoptedTasks.increment(by: tasks)
    }

    func created(_ result: CreateResult) {
        creates[result]?.increment()
    }

    /// From the task's `queued_at` (seconds since 1970) to now, the create's answer.
    func launched(queuedAt: Double, now: Date = Date()) {
        launchLatency.record(duration: .seconds(max(0, now.timeIntervalSince1970 - queuedAt)))
    }

    /// From when the Pod ended (its containers' latest `finishedAt`, else `seen`, when a reconcile first saw it end)
    /// to now, the store's record of the final state.
    func completed(_ pod: Pod, seen: Date, now: Date = Date()) {
        let ended = ControllerMeters.finishedAt(pod) ?? seen
        completionLatency.record(duration: .seconds(max(0, now.timeIntervalSince(ended))))
    }

    /// The latest `finishedAt` among the Pod's containers.
    static func finishedAt(_ pod: Pod) -> Date? {
        let statuses = (pod.status?.initContainerStatuses ?? []) + (pod.status?.containerStatuses ?? [])
        return statuses.compactMap { status in
            status.state?.terminated?.finishedAt.flatMap { try? Date($0, strategy: timeFormat) }
        }.max()
    }

    static let timeFormat = Date.ISO8601FormatStyle()

    /// The task gauges from the store's counts, and two of the executor's figures as Airflow names them: queued
    /// tasks, launched and running tasks. (Open slots come from the launcher, which computes them each poll.)
    func recordCounts(_ counts: [TaskState: Int]) {
        for (state, gauge) in tasksByState { gauge.record(counts[state] ?? 0) }
        queuedTasks.record(counts[.queued] ?? 0)
        runningTasks.record((counts[.launched] ?? 0) + (counts[.running] ?? 0))
    }
}
