import Foundation
import JSON
import TaskStore

/// How tasks are printed: a table for people, JSON for programs.
enum TaskOutput {
    static func json(_ task: TaskInstance) -> JSONValue {
        var object: JSONObject = [
            "id": .int(task.id),
            "dag_id": .string(task.key.dagID),
            "task_id": .string(task.key.taskID),
            "run_id": .string(task.key.runID),
            "map_index": .int(Int64(task.key.mapIndex)),
            "try_number": .int(Int64(task.key.tryNumber)),
            "state": .string(task.state.rawValue),
            "reason": task.reason.map { .string($0) } ?? .null,
            "pod_name": task.podName.map { .string($0) } ?? .null,
            "namespace": (task.podNamespace ?? task.spec.namespace).map { .string($0) } ?? .null,
            "command": .array(task.spec.command.map { .string($0) }),
            "image": task.spec.image.map { .string($0) } ?? .null,
            "queued_at": .string(timestamp(task.queuedAt)),
            "launched_at": task.launchedAt.map { .string(timestamp($0)) } ?? .null,
            "running_at": task.runningAt.map { .string(timestamp($0)) } ?? .null,
            "finished_at": task.finishedAt.map { .string(timestamp($0)) } ?? .null,
        ]
        object["duration_seconds"] = duration(task).map { .double(($0 * 1000).rounded() / 1000) } ?? .null
        object["cancel_requested"] = .bool(task.cancelRequested)
        if let override = task.spec.podOverride { object["pod_override"] = override }
        return .object(object)
    }

    static func timestamp(_ seconds: Double) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }

    /// Queued to finished (or to now, for a live task).
    static func duration(_ task: TaskInstance) -> Double? {
        let start = task.queuedAt
        if let end = task.finishedAt { return end - start }
        return nil
    }

    static func table(_ tasks: [TaskInstance]) -> String {
        let header = ["ID", "DAG", "TASK", "RUN", "MAP", "TRY", "STATE", "DURATION", "REASON", "POD"]
        let rows = tasks.map { task in
            [
                String(task.id), task.key.dagID, task.key.taskID, task.key.runID,
                task.key.mapIndex >= 0 ? String(task.key.mapIndex) : "-", String(task.key.tryNumber),
                task.state.rawValue, duration(task).map { String(format: "%.1fs", $0) } ?? "-",
                task.reason ?? "", task.podName ?? "",
            ]
        }
        return format(header: header, rows: rows)
    }

    static func format(header: [String], rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], min(cell.count, 60)) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                let clipped = cell.count > 60 ? String(cell.prefix(57)) + "..." : cell
                return index == cells.count - 1 ? clipped : clipped.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}
