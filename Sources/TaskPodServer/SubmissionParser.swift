import Foundation
import JSON
import TaskPod
import TaskStore

/// Reads a task submission from the API's JSON (`POST /api/v1/tasks`, each element of a batch, `/api/v1/render`).
///
/// Type problems come back as ``FieldProblem``s naming the field; `labels` and `annotations` are merged into the
/// task's `pod_override` metadata (an override's own entries win).
struct SubmissionParser {
    static let fields: Set<String> = [
        "dag_id", "task_id", "run_id", "map_index", "try_number", "command", "args", "image", "namespace", "env",
        "pod_override", "pod_template", "external_id", "labels", "annotations", "sensitive",
    ]

    private(set) var problems: [FieldProblem] = []
    private let object: JSONObject
    private let prefix: String

    /// - Parameter prefix: Prepended to field names in problems, e.g. `tasks[3].` in a batch.
    init(_ value: JSONValue, prefix: String = "") {
        self.prefix = prefix
        guard let object = value.objectValue else {
            object = JSONObject()
            problems.append(FieldProblem(field: prefix.isEmpty ? "body" : String(prefix.dropLast()),
                                         message: "must be a JSON object (a task), not \(value.kindName)"))
            return
        }
        self.object = object
    }

    /// The submission, or every problem found.
    static func parse(_ value: JSONValue, prefix: String = "") -> Result<TaskSubmission, APIRefusal> {
        var parser = SubmissionParser(value, prefix: prefix)
        guard parser.problems.isEmpty else { return .failure(APIRefusal(parser.problems)) }
        let submission = parser.submission()
        return parser.problems.isEmpty ? .success(submission) : .failure(APIRefusal(parser.problems))
    }

    private mutating func submission() -> TaskSubmission {
        for (field, _) in object where !Self.fields.contains(field) {
            let near = Self.fields.sorted().first { $0.replacingOccurrences(of: "_", with: "") == field.lowercased() }
            problem(field, "is not a field of a task" + (near.map { "; did you mean \($0)?" } ?? ""))
        }
        if value("command") != nil && value("args") != nil {
            problem("args", "give either command (replaces the image's entrypoint) or args, not both")
        }
        let key = TaskKey(
            dagID: string("dag_id", required: true) ?? "",
            taskID: string("task_id", required: true) ?? "",
            runID: string("run_id", required: true) ?? "",
            mapIndex: integer("map_index") ?? -1,
            tryNumber: integer("try_number") ?? 1
        )
        var override = podObject("pod_override")
        for field in ["labels", "annotations"] {
            guard let entries = stringMap(field), !entries.isEmpty else { continue }
            var merged = override ?? JSONValue.object(JSONObject())
            var metadata = merged["metadata"]?.objectValue ?? JSONObject()
            var map = JSONObject(entries.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) })
            for (name, value) in metadata[field]?.objectValue ?? JSONObject() { map[name] = value }
            metadata[field] = .object(map)
            merged["metadata"] = .object(metadata)
            override = merged
        }
        let spec = TaskSpec(
            command: stringArray("command") ?? [],
            args: stringArray("args"),
            image: string("image"),
            namespace: string("namespace"),
            podOverride: override,
            podTemplate: podObject("pod_template"),
            env: stringMap("env") ?? [:],
            sensitive: bool("sensitive") ?? false
        )
        let externalID = string("external_id")
        if externalID == "" { problem("external_id", "must not be empty; leave it out or give an id") }
        return TaskSubmission(key: key, spec: spec, externalID: externalID)
    }

    private mutating func problem(_ field: String, _ message: String) {
        problems.append(FieldProblem(field: prefix + field, message: message))
    }

    /// The field's value; nil when it is absent. A null is a problem: leave the field out instead.
    private mutating func value(_ field: String) -> JSONValue? {
        guard let value = object[field] else { return nil }
        if value.isNull {
            if !problems.contains(where: { $0.field == prefix + field }) {
                problem(field, "must not be null; leave the field out for its default")
            }
            return nil
        }
        return value
    }

    private mutating func string(_ field: String, required: Bool = false) -> String? {
        guard let value = value(field) else {
            if required { problem(field, "is required") }
            return nil
        }
        guard let text = value.stringValue else {
            problem(field, "must be a string, not \(value.kindName)")
            return nil
        }
        if text.utf8.contains(0) { problem(field, "contains a NUL character; remove it") }
        return text
    }

    private mutating func integer(_ field: String) -> Int? {
        guard let value = value(field) else { return nil }
        guard case .int(let number) = value, let small = Int(exactly: number), abs(small) < 1 << 31 else {
            problem(field, "must be an integer, not \(value.kindName == "integer" ? "\(value.jsonString)" : value.kindName)")
            return nil
        }
        return small
    }

    private mutating func bool(_ field: String) -> Bool? {
        guard let value = value(field) else { return nil }
        guard let flag = value.boolValue else {
            problem(field, "must be true or false, not \(value.kindName)")
            return nil
        }
        return flag
    }

    private mutating func stringArray(_ field: String) -> [String]? {
        guard let value = value(field) else { return nil }
        guard let items = value.arrayValue else {
            problem(field, "must be an array of strings, not \(value.kindName)")
            return nil
        }
        var strings: [String] = []
        for (index, item) in items.enumerated() {
            guard let text = item.stringValue else {
                problem("\(field)[\(index)]", "must be a string, not \(item.kindName)")
                continue
            }
            strings.append(text)
        }
        return strings
    }

    private mutating func stringMap(_ field: String) -> [String: String]? {
        guard let value = value(field) else { return nil }
        guard let entries = value.objectValue else {
            problem(field, "must be an object of strings, not \(value.kindName)")
            return nil
        }
        var map: [String: String] = [:]
        for (name, item) in entries {
            guard let text = item.stringValue else {
                problem("\(field).\(name)", "must be a string, not \(item.kindName)")
                continue
            }
            map[name] = text
        }
        return map
    }

    private mutating func podObject(_ field: String) -> JSONValue? {
        guard let value = value(field) else { return nil }
        guard case .object = value else {
            problem(field, "must be an object (a Pod in JSON, camelCase fields), not \(value.kindName)")
            return nil
        }
        return value
    }
}
