import Foundation
import JSON
import Synchronization
import KubeSim
import TaskPod
import TaskPodMetrics
import TaskStore
import TestSupport
import Testing

@Suite("Controller metrics against KubeSim")
struct ControllerMetricsTests {
    static let successes = 3
    static let parallelism = 4
    /// The successes, one exit code 7, one OOMKilled.
    static var total: Int { successes + 2 }

    /// Runs the known tasks to their end and returns the exposition once the gauges have caught up, while the
    /// controller runs, and the metrics (read again after it stopped).
    static func runKnownTasks() async throws -> (running: String, metrics: TaskPodMetrics) {
        let metrics = TaskPodMetrics()
        let running = Mutex("")
        var sim = KubeSimConfiguration(mode: .scripted)
        sim.defaultRunTime = .milliseconds(100)
        try await ControllerEndToEndTests.withRunningController(sim: sim, metrics: metrics, configure: {
            $0.parallelism = parallelism
        }) { _, store, _ in
            func annotated(_ annotations: JSONValue) -> TaskSpec {
                TaskSpec(command: ["x"], podOverride: ["metadata": ["annotations": annotations]])
            }
            var ids: [Int64] = []
            for index in 0..<successes {
                ids.append(try await store.submit(key: ControllerEndToEndTests.key("ok\(index)"), spec: annotated(["kubesim.taskpod.io/log": "fine"])).id)
            }
            ids.append(try await store.submit(key: ControllerEndToEndTests.key("exit7"), spec: annotated(["kubesim.taskpod.io/exit-code": "7"])).id)
            ids.append(try await store.submit(key: ControllerEndToEndTests.key("oom"), spec: annotated(["kubesim.taskpod.io/oom": "true"])).id)
            let tasks = try await ControllerEndToEndTests.waitForFinal(store, ids: ids)
            #expect(tasks.filter { $0.state == .success }.count == successes)
            // The gauges follow at the next resync (500 ms here) and launcher poll.
            let settled = await eventually(timeout: .seconds(10)) {
                let figures = Exposition(metrics.exposition())
                return figures.value("taskpod_tasks", ["state": "success"]) == Double(successes)
                    && figures.value("taskpod_executor_running_tasks") == 0
                    && figures.value("taskpod_executor_open_slots") == Double(parallelism)
            }
            #expect(settled, "\(metrics.exposition())")
            running.withLock { $0 = metrics.exposition() }
        }
        return (running.withLock { $0 }, metrics)
    }

    /// The figures every reading of the exposition must show, whoever parses it.
    static func check(_ value: (String, [String: String]) -> Double?, _ text: String) {
        let n = Double(total)
        #expect(value("taskpod_pod_creates_total", ["result": "created"]) == n, "\(text)")
        #expect(value("taskpod_pod_creates_total", ["result": "adopted"]) == 0)
        #expect(value("taskpod_task_transitions_total", ["to": "launched", "reason_class": "none"]) == n)
        #expect(value("taskpod_task_transitions_total", ["to": "success", "reason_class": "none"]) == Double(successes))
        #expect(value("taskpod_task_transitions_total", ["to": "failed", "reason_class": "exit_code"]) == 1)
        #expect(value("taskpod_task_transitions_total", ["to": "failed", "reason_class": "oom"]) == 1)
        #expect(value("taskpod_kube_requests_total", ["verb": "create", "code": "201"]) == n)
        #expect((value("taskpod_kube_requests_total", ["verb": "list", "code": "200"]) ?? 0) >= 1)
        #expect(value("taskpod_kube_request_duration_seconds_count", ["verb": "create"]) == n)
        #expect(value("taskpod_launch_latency_seconds_count", [:]) == n)
        #expect(value("taskpod_completion_latency_seconds_count", [:]) == n)
        #expect((value("taskpod_informer_watch_events_total", ["type": "ADDED"]) ?? 0) >= n)
        #expect((value("taskpod_log_bytes_stored_total", [:]) ?? 0) > 0)
        #expect(value("taskpod_tasks", ["state": "failed"]) == 2)
        #expect(value("taskpod_tasks", ["state": "queued"]) == 0)
        #expect(value("taskpod_executor_queued_tasks", [:]) == 0)
        #expect(value("taskpod_executor_running_tasks", [:]) == 0)
        #expect(value("taskpod_executor_open_slots", [:]) == Double(parallelism))
        #expect(value("taskpod_leader", [:]) == 1)
    }

    @Test("known tasks: creates, transitions by reason class, API requests by verb, histogram counts, executor gauges")
    func figures() async throws {
        let (text, metrics) = try await Self.runKnownTasks()
        let exposition = Exposition(text)
        Self.check({ exposition.value($0, $1) }, text)
        // Once the controller stopped, this replica no longer leads.
        #expect(Exposition(metrics.exposition()).value("taskpod_leader") == 0)
        // Prometheus conventions: counters end in _total, durations are in seconds, every name has the prefix.
        for sample in exposition.samples { #expect(sample.name.hasPrefix("taskpod_"), "\(sample.name)") }
        #expect(text.contains("# TYPE taskpod_kube_request_duration_seconds histogram"))
        #expect(text.contains("# TYPE taskpod_pod_creates_total counter"))
    }

    @Test("the official Python prometheus_client parser reads the same figures")
    func pythonParser() async throws {
        let text = try await Self.runKnownTasks().running
        let directory = try TemporaryDirectory(prefix: "metrics")
        defer { directory.remove() }
        try text.write(toFile: directory.file("metrics.txt"), atomically: true, encoding: .utf8)
        let script = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            samples = []
            for family in text_string_to_metric_families(open(sys.argv[1]).read()):
                for s in family.samples:
                    samples.append({"family": family.name, "type": family.type, "name": s.name, "labels": s.labels, "value": s.value})
            print(json.dumps(samples))
            """
        let output = try await ExternalTools.run(
            try ExternalTools.tool("python"), ["-c", script, directory.file("metrics.txt")], in: directory.path
        )
        #expect(output.succeeded, "\(output.output)")
        let parsed = try JSONValue(parsing: output.output)
        let samples = parsed.arrayValue ?? []
        #expect(!samples.isEmpty, "\(output.output)")
        func value(_ name: String, _ labels: [String: String]) -> Double? {
            let matching = samples.filter { sample in
                sample[path: "name"]?.stringValue == name
                    && labels.allSatisfy { sample[path: "labels", $0.key]?.stringValue == $0.value }
            }
            return matching.isEmpty ? nil : matching.compactMap { $0[path: "value"]?.doubleValue }.reduce(0, +)
        }
        Self.check(value, text)
        // The parser knows the families' types from the TYPE lines.
        #expect(samples.contains { $0[path: "family"]?.stringValue == "taskpod_launch_latency_seconds" && $0[path: "type"]?.stringValue == "histogram" })
        #expect(samples.contains { $0[path: "family"]?.stringValue == "taskpod_pod_creates" && $0[path: "type"]?.stringValue == "counter" })
    }
}
