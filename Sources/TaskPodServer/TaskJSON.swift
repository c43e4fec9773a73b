import Foundation
import JSON
import TaskPod
import TaskStore

/// The JSON of tasks and events, for the HTTP API and `taskpod tasks -o json`: snake_case fields, timestamps in
/// ISO 8601 with fractions of a second.
public enum TaskJSON {
    /// What replaces each command and args element and each env value of a sensitive task.
    static let redacted = "<redacted>"

    static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// `2026-12-02T11:22:24.123Z`, or null.
    public static func timestamp(_ seconds: Double?) -> JSONValue {
        seconds.map { .string(Date(timeIntervalSince1970: $0).formatted(timestampStyle)) } ?? .null
    }

    static func optional(_ text: String?) -> JSONValue { text.map { .string($0) } ?? .null }

    static func strings(_ values: [String], sensitive: Bool) -> JSONValue {
        .array(values.map { .string(sensitive ? redacted : $0) })
    }

    /// A task as the API returns it; a sensitive task's command, args and env values are replaced by
    /// ``redacted``.
    public static func task(_ task: TaskInstance) -> JSONValue {
        let spec = task.spec
        let env = JSONObject(spec.env.sorted { $0.key < $1.key }.map {
            ($0.key, JSONValue.string(spec.sensitive ? redacted : $0.value))
        })
        var object: JSONObject = [
            "id": .int(task.id),
            "dag_id": .string(task.key.dagID),
            "task_id": .string(task.key.taskID),
            "run_id": .string(task.key.runID),
            "map_index": .int(Int64(task.key.mapIndex)),
            "try_number": .int(Int64(task.key.tryNumber)),
            "external_id": optional(task.externalID),
            "state": .string(task.state.rawValue),
            "reason": optional(task.reason),
            "pod_name": optional(task.podName),
            "namespace": optional(task.podNamespace ?? spec.namespace),
            "controller_id": optional(task.controllerID),
            "cancel_requested": .bool(task.cancelRequested),
            "command": strings(spec.command, sensitive: spec.sensitive),
            "args": spec.args.map { strings($0, sensitive: spec.sensitive) } ?? .null,
            "image": optional(spec.image),
            "env": .object(env),
            "sensitive": .bool(spec.sensitive),
            "queued_at": timestamp(task.queuedAt),
            "launched_at": timestamp(task.launchedAt),
            "running_at": timestamp(task.runningAt),
            "finished_at": timestamp(task.finishedAt),
            "updated_at": timestamp(task.updatedAt),
            "change_cursor": .string(ChangeCursor(after: task).description),
        ]
        object["pod_override"] = spec.podOverride ?? .null
        object["pod_template"] = spec.podTemplate ?? .null
        return .object(object)
    }

    /// One transition of a task.
    public static func event(_ event: TaskEvent) -> JSONValue {
        [
            "at": timestamp(event.at),
            "from": optional(event.from?.rawValue),
            "to": .string(event.to.rawValue),
            "reason": optional(event.reason),
            "controller_id": optional(event.controllerID),
            "pod_name": optional(event.podName),
            "node": optional(event.node),
        ]
    }

    static func errors(_ problems: [FieldProblem]) -> JSONValue {
        ["errors": .array(problems.map { ["field": .string($0.field), "message": .string($0.message)] })]
    }

    /// A Pod as the API returns it from render: for a sensitive task, the `base` container's command, args and the
    /// values of the task's own env variables are replaced by ``redacted``.
    static func pod(_ pod: JSONValue, spec: TaskSpec) -> JSONValue {
        guard spec.sensitive, var containers = pod[path: "spec", "containers"]?.arrayValue else { return pod }
        var pod = pod
        for index in containers.indices where containers[index]["name"]?.stringValue == PodBuilder.baseContainer {
            var base = containers[index]
            for field in ["command", "args"] {
                if let values = base[field]?.arrayValue { base[field] = .array(values.map { _ in .string(redacted) }) }
            }
            if let env = base["env"]?.arrayValue {
                base["env"] = .array(env.map { entry in
                    guard let name = entry["name"]?.stringValue, spec.env[name] != nil else { return entry }
                    var entry = entry
                    entry["value"] = .string(redacted)
                    return entry
                })
            }
            containers[index] = base
        }
        pod[path: "spec", "containers"] = .array(containers)
        return pod
    }
}
