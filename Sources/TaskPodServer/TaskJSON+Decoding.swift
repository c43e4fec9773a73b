import Foundation
import JSON
import TaskStore

extension TaskJSON {
    /// Reads back a task the API returned (``task(_:)``), for clients such as `taskpod tasks --server`. Redacted
    /// values stay `"<redacted>"`.
    ///
    /// - Returns: nil when a required field is missing or of the wrong type.
    public static func decodeTask(_ value: JSONValue) -> TaskInstance? {
        guard let id = value["id"]?.intValue, let dagID = value["dag_id"]?.stringValue,
              let taskID = value["task_id"]?.stringValue, let runID = value["run_id"]?.stringValue,
              let mapIndex = value["map_index"]?.intValue, let tryNumber = value["try_number"]?.intValue,
              let state = value["state"]?.stringValue.flatMap(TaskState.init(rawValue:)),
              let queuedAt = seconds(value["queued_at"]), let updatedAt = seconds(value["updated_at"])
        else { return nil }
        func strings(_ field: String) -> [String]? { value[field]?.arrayValue?.compactMap(\.stringValue) }
        var env: [String: String] = [:]
        for (name, item) in value["env"]?.objectValue ?? JSONObject() { env[name] = item.stringValue }
        let spec = TaskSpec(
            command: strings("command") ?? [], args: strings("args"), image: value["image"]?.stringValue,
            namespace: value["namespace"]?.stringValue, podOverride: value["pod_override"].flatMap { $0.isNull ? nil : $0 },
            podTemplate: value["pod_template"].flatMap { $0.isNull ? nil : $0 }, env: env,
            sensitive: value["sensitive"]?.boolValue ?? false
        )
        return TaskInstance(
            id: id, key: TaskKey(dagID: dagID, taskID: taskID, runID: runID, mapIndex: Int(mapIndex), tryNumber: Int(tryNumber)),
            spec: spec, state: state, reason: value["reason"]?.stringValue, podName: value["pod_name"]?.stringValue,
            podNamespace: value["namespace"]?.stringValue, controllerID: value["controller_id"]?.stringValue,
            cancelRequested: value["cancel_requested"]?.boolValue ?? false, queuedAt: queuedAt,
            launchedAt: seconds(value["launched_at"]), runningAt: seconds(value["running_at"]),
            finishedAt: seconds(value["finished_at"]), updatedAt: updatedAt, externalID: value["external_id"]?.stringValue,
            changeSeq: value["change_cursor"]?.stringValue.flatMap(ChangeCursor.init)?.seq ?? 0
        )
    }

    /// Reads back an event of ``event(_:)``.
    public static func decodeEvent(_ value: JSONValue) -> TaskEvent? {
        guard let at = seconds(value["at"]), let to = value["to"]?.stringValue.flatMap(TaskState.init(rawValue:)) else {
            return nil
        }
        return TaskEvent(
            at: at, from: value["from"]?.stringValue.flatMap(TaskState.init(rawValue:)), to: to,
            reason: value["reason"]?.stringValue, controllerID: value["controller_id"]?.stringValue,
            podName: value["pod_name"]?.stringValue, node: value["node"]?.stringValue
        )
    }

    static func seconds(_ value: JSONValue?) -> Double? {
        guard let text = value?.stringValue, let date = try? timestampStyle.parse(text) else { return nil }
        return date.timeIntervalSince1970
    }
}
