import Foundation
import JSON
import TaskPodServer
import TaskStore

/// How tasks are printed: a table for people, JSON for programs.
enum TaskOutput {
    /// The API's JSON of a task (a sensitive task's command, args and env values redacted), with its duration.
    static func json(_ task: TaskInstance) -> JSONValue {
        var object = TaskJSON.task(task)
        object["duration_seconds"] = duration(task).map { .double(($0 * 1000).rounded() / 1000) } ?? .null
        return object
    }

    static func timestamp(_ seconds: Double) -> String {
        TaskJSON.timestamp(seconds).stringValue ?? ""
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
