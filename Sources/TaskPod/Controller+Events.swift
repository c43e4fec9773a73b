import Foundation
import KubeClient

extension Controller {
    /// The Pod's Warning events as task log lines, so that a task log alone says why its Pod failed (what
    /// KubernetesPodOperator's `log_events_on_failure` does): the scheduler's `FailedScheduling`, the kubelet's
    /// `Failed`, `BackOff`, `Evicted`. Best effort: when the events cannot be read (no RBAC for them, the API down)
    /// the log says so, and the task's ending is recorded all the same.
    ///
    /// - Parameters:
    ///   - uid: The Pod's uid when known, to leave out the events of an earlier Pod of the same name.
    func warningEventLines(podName: String, namespace: String, uid: String?) async -> String {
        let events: [CoreEvent]
        do {
            events = try await client.podEvents(name: podName, namespace: namespace, uid: uid)
        } catch {
            return Controller.note("the events of Pod \(podName) could not be read (\(error))")
        }
        return Controller.format(warnings: events, podName: podName)
    }

    /// `[taskpod …] Warning events of Pod NAME:` and a line per Warning: time, reason, message, `(×N)` for repeats;
    /// empty when there is none.
    static func format(warnings events: [CoreEvent], podName: String) -> String {
        let warnings = events.filter { $0.type == "Warning" }
        guard !warnings.isEmpty else { return "" }
        var text = note("Warning events of Pod \(podName):")
        for event in warnings {
            let time = event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? "-"
            let repeats = (event.count ?? 1) > 1 ? " (×\(event.count ?? 1))" : ""
            let message = (event.message ?? "").replacingOccurrences(of: "\n", with: " ")
            text += "  \(time)  \(event.reason ?? "-")  \(message)\(repeats)\n"
        }
        return text
    }
}
