import Foundation
import JSON
import PodSchema
import TaskStore
import YAML

/// A Pod that cannot be built: names the field and what would be valid.
///
/// When several things are wrong, the first is `field`/`message` and the others are in ``additional``.
public struct PodBuildError: Error, CustomStringConvertible, Sendable {
    public var field: String
    public var message: String
    /// Further problems found in the same check, in document order.
    public var additional: [PodBuildError] = []

    public var description: String {
        let first = field.isEmpty ? message : "\(field): \(message)"
        return additional.isEmpty ? first : "\(first) (and \(additional.count) more)"
    }

    /// Every problem, the first one included.
    public var all: [PodBuildError] {
        [PodBuildError(field: field, message: message)] + additional
    }

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    /// The first of `problems` carrying the others; nil when there are none.
    init?(_ problems: [PodBuildError]) {
        guard let first = problems.first else { return nil }
        self = first
        additional = Array(problems.dropFirst())
    }
}

/// Renders the Pod of a task, in Airflow's order: the template (the task's own, else the configured
/// `pod_template_file`, else a built-in minimal Pod) → the generated part (name, namespace, labels, annotations,
/// the `base` container's command or args, image and env) → the task's `pod_override`, applied as a strategic merge patch
/// exactly as `kubectl patch --type strategic` would. The result is checked as the API server would check it.
///
/// ```swift
/// let builder = PodBuilder(template: try PodBuilder.loadTemplate(path: "pod.yaml"), defaultNamespace: "jobs",
///                          defaultImage: "python:3.12", controllerID: "ctl-1")
/// let pod = try builder.build(id: 42, key: key, spec: TaskSpec(command: ["python", "-m", "etl"]))
/// ```
public struct PodBuilder: Sendable {
    /// The container that runs the task.
    public static let baseContainer = "base"
    /// The annotation that carries the task's store id.
    public static let taskIDAnnotation = "taskpod.io/task-id"
    /// The containers whose logs make the task log, comma-separated (`*`: all); see ``ControllerConfiguration/logContainers``.
    public static let logContainersAnnotation = "taskpod.io/log-containers"
    /// The label a finished, kept Pod gets.
    public static let doneLabel = "airflow_executor_done"

    /// The labels that identify and select a task's Pod; an override may not change them.
    static let controllerLabels: Set<String> = [
        "dag_id", "task_id", "run_id", "try_number", "map_index", "kubernetes_executor", "airflow-worker", doneLabel,
    ]

    /// The built-in base Pod when no template is configured.
    public static let defaultTemplate: JSONValue = [
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": [:],
        "spec": [
            "restartPolicy": "Never",
            "containers": [["name": "base", "image": "busybox:1.36"]],
        ],
    ]

    public var template: JSONValue
    public var defaultNamespace: String
    /// The configured image: used when the task names none, before the template's.
    public var defaultImage: String?
    public var controllerID: String

    public init(
        template: JSONValue = PodBuilder.defaultTemplate, defaultNamespace: String, defaultImage: String?, controllerID: String
    ) {
        self.template = template
        self.defaultNamespace = defaultNamespace
        self.defaultImage = defaultImage
        self.controllerID = controllerID
    }

    /// Reads a `pod_template_file`: a YAML (or JSON) file holding exactly one Pod.
    ///
    /// - Throws: ``PodBuildError`` (field `pod_template_file`) when the file cannot be read, is not YAML, holds no or
    ///   several documents, or holds something other than a Pod; with the field path for an unknown field or a
    ///   wrong type inside the Pod.
    public static func loadTemplate(path: String) throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PodBuildError(field: "pod_template_file", message: "cannot read \(path)")
        }
        let documents: [JSONValue]
        do {
            documents = try YAML.parseAll(String(decoding: data, as: UTF8.self))
        } catch {
            throw PodBuildError(field: "pod_template_file", message: "\(path) is not valid YAML: \(error)")
        }
        guard documents.count == 1 else {
            throw PodBuildError(
                field: "pod_template_file",
                message: documents.isEmpty
                    ? "\(path) is empty; it must hold one Pod (apiVersion: v1, kind: Pod)"
                    : "\(path) holds \(documents.count) YAML documents; it must hold exactly one Pod"
            )
        }
        return try checkTemplate(documents[0], source: "pod_template_file \(path)")
    }

    /// Checks that `template` is one Pod that fits the Pod schema (required fields may be left to the generated part).
    ///
    /// - Parameter source: How the template is named in errors, e.g. `pod_template_file pod.yaml`.
    /// - Returns: The template, unchanged.
    /// - Throws: ``PodBuildError`` naming the field and what would be valid.
    @discardableResult
    public static func checkTemplate(_ template: JSONValue, source: String) throws -> JSONValue {
        guard case .object(let object) = template else {
            throw PodBuildError(field: "pod_template_file", message: "\(source) must hold one Pod object, not \(template.kindName)")
        }
        if let kind = object["kind"], kind != "Pod" {
            let name = kind.stringValue ?? kind.jsonString
            let hint = name == "List" ? " (a List of several objects is not a template)" : ""
            throw PodBuildError(field: "pod_template_file", message: "\(source) is a \(name)\(hint); it must be a Pod (kind: Pod)")
        }
        // Partial: the generated part and the override may still fill in required fields.
        var problems = PodSchema.validate(template, asPartial: true).map {
            PodBuildError(field: $0.path.description, message: "\($0.message) (in the \(source))")
        }
        problems += directivePaths(in: template, path: "").map {
            PodBuildError(field: $0, message: "is a strategic-merge directive; it belongs in a pod_override, not in the \(source)")
        }
        if let error = PodBuildError(problems) { throw error }
        return template
    }

    static func directivePaths(in value: JSONValue, path: String) -> [String] {
        switch value {
        case .object(let object):
            return object.flatMap { key, child in
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                return key.hasPrefix("$") ? [childPath] : directivePaths(in: child, path: childPath)
            }
        case .array(let items):
            return items.enumerated().flatMap { directivePaths(in: $0.element, path: "\(path)[\($0.offset)]") }
        default:
            return []
        }
    }

    /// The Pod for a task, with `id` being the task's store id, on the configured template.
    public func build(id: Int64, key: TaskKey, spec: TaskSpec) throws -> JSONValue {
        try build(id: id, key: key, spec: spec, template: nil)
    }

    /// The Pod for a task on its own template (Airflow's per-task `pod_template_file`), else the configured one.
    ///
    /// - Parameter template: The task's template (a Pod, already read), or nil for the builder's.
    /// - Throws: ``PodBuildError`` naming the field path and what would be valid: an unknown field (with the nearest
    ///   known one) or a wrong type in the template or the override, an override that changes what identifies the
    ///   task's Pod, a patch the strategic merge refuses, and every check of ``PodValidation``.
    public func build(id: Int64, key: TaskKey, spec: TaskSpec, template: JSONValue?) throws -> JSONValue {
        let pod = try generated(id: id, key: key, spec: spec, template: template)
        guard let override = spec.podOverride else {
            try PodValidation.validate(pod)
            return pod
        }
        let merged = try PodBuilder.apply(override: override, to: pod)
        try checkIdentity(merged, generated: pod, spec: spec)
        try PodValidation.validate(merged)
        return merged
    }

    /// The template with the generated part, before any `pod_override`: what the override is applied to.
    public func generated(id: Int64, key: TaskKey, spec: TaskSpec, template taskTemplate: JSONValue? = nil) throws -> JSONValue {
        if let taskTemplate {
            try PodBuilder.checkTemplate(taskTemplate, source: "task's pod template")
        } else {
            try PodBuilder.checkTemplate(template, source: "pod_template_file")
        }
        var pod: JSONValue = ["apiVersion": "v1", "kind": "Pod"]
        for (field, value) in (taskTemplate ?? template).objectValue ?? JSONObject() where pod[field] == nil {
            pod[field] = value
        }
        let templateMetadata = pod["metadata"]?.objectValue ?? JSONObject()
        var labels = templateMetadata["labels"]?.objectValue ?? JSONObject()
        for (label, value) in PodBuilder.labels(for: key, controllerID: controllerID) { labels[label] = .string(value) }
        var annotations = templateMetadata["annotations"]?.objectValue ?? JSONObject()
        for (annotation, value) in PodBuilder.annotations(for: key, id: id) { annotations[annotation] = .string(value) }
        // The generated fields first, then whatever else the template's metadata has.
        var metadata: JSONObject = [
            "name": .string(PodNaming.podName(for: key)),
            "namespace": .string(spec.namespace ?? templateMetadata["namespace"]?.stringValue ?? defaultNamespace),
            "labels": .object(labels),
            "annotations": .object(annotations),
        ]
        for (field, value) in templateMetadata where metadata[field] == nil && field != "generateName" {
            metadata[field] = value
        }
        pod["metadata"] = .object(metadata)

        var containers = pod[path: "spec", "containers"]?.arrayValue ?? []
        let baseIndex: Int
        if let found = containers.firstIndex(where: { $0["name"]?.stringValue == PodBuilder.baseContainer }) {
            baseIndex = found
        } else {
            containers.insert(["name": .string(PodBuilder.baseContainer)], at: 0)
            baseIndex = 0
        }
        var base = containers[baseIndex]
        if !spec.command.isEmpty {
            base["command"] = .array(spec.command.map { .string($0) })
            base["args"] = nil
        } else if let args = spec.args {
            // The image's (or the template's) entrypoint stays and gets these arguments, as Airflow runs its workers.
            base["args"] = .array(args.map { .string($0) })
        }
        if let image = spec.image ?? defaultImage ?? base["image"]?.stringValue {
            base["image"] = .string(image)
        }
        var env = base["env"]?.arrayValue ?? []
        for (variable, value) in PodBuilder.environment(for: key, id: id, spec: spec) {
            let entry: JSONValue = ["name": .string(variable), "value": .string(value)]
            if let index = env.firstIndex(where: { $0["name"]?.stringValue == variable }) {
                env[index] = entry
            } else {
                env.append(entry)
            }
        }
        base["env"] = .array(env)
        containers[baseIndex] = base
        pod[path: "spec", "containers"] = .array(containers)
        return pod
    }

    /// Applies a `pod_override` (a partial Pod) to `pod` as a strategic merge patch, after checking it against the
    /// Pod schema.
    ///
    /// - Throws: ``PodBuildError`` for an override that is not an object, does not fit the schema (unknown field with
    ///   the nearest known one, wrong type, bad directive), or that the merge refuses.
    public static func apply(override: JSONValue, to pod: JSONValue) throws -> JSONValue {
        guard case .object(let object) = override else {
            throw PodBuildError(field: "pod_override", message: "must be an object (a partial Pod), not \(override.kindName)")
        }
        if let kind = object["kind"], kind != "Pod" {
            throw PodBuildError(field: "pod_override.kind", message: "must be Pod (or absent), not \(kind.jsonString)")
        }
        let violations = PodSchema.validate(override, asPartial: true)
        let problems = violations.map { PodBuildError(field: $0.path.description, message: "\($0.message) (in pod_override)") }
        if let error = PodBuildError(problems) { throw error }
        do {
            return try StrategicMerge.apply(override, to: pod)
        } catch {
            let field = error.path.isEmpty ? "pod_override" : error.path
            throw PodBuildError(field: field, message: "\(error.message) (in pod_override)")
        }
    }

    /// Refuses an override that renamed the Pod or changed the labels and annotations that identify its task.
    func checkIdentity(_ merged: JSONValue, generated pod: JSONValue, spec: TaskSpec) throws {
        var problems: [PodBuildError] = []
        for field in ["name", "generateName"] where merged[path: "metadata", field] != pod[path: "metadata", field] {
            problems.append(PodBuildError(
                field: "metadata.\(field)",
                message: "is set by taskpod (the Pod name is derived from the task key); remove it from pod_override"
            ))
        }
        if let namespace = spec.namespace, merged[path: "metadata", "namespace"]?.stringValue != namespace {
            problems.append(PodBuildError(
                field: "metadata.namespace",
                message: "pod_override moves the Pod out of the task's namespace \"\(namespace)\"; set the namespace in one place"
            ))
        }
        let generatedLabels = pod[path: "metadata", "labels"]?.objectValue ?? JSONObject()
        let mergedLabels = merged[path: "metadata", "labels"]?.objectValue ?? JSONObject()
        for label in PodBuilder.controllerLabels.sorted() where mergedLabels[label] != generatedLabels[label] {
            problems.append(PodBuildError(
                field: "metadata.labels.\(label)",
                message: "is set by taskpod (it selects the task's Pod); remove it from pod_override"
            ))
        }
        let generatedAnnotations = pod[path: "metadata", "annotations"]?.objectValue ?? JSONObject()
        let mergedAnnotations = merged[path: "metadata", "annotations"]?.objectValue ?? JSONObject()
        for (annotation, value) in generatedAnnotations where PodBuilder.controllerAnnotations.contains(annotation) {
            if mergedAnnotations[annotation] != value {
                problems.append(PodBuildError(
                    field: "metadata.annotations.\(annotation)",
                    message: "is set by taskpod (it names the task the Pod runs); remove it from pod_override"
                ))
            }
        }
        if let error = PodBuildError(problems) { throw error }
    }

    static let controllerAnnotations: Set<String> = ["dag_id", "task_id", "run_id", "try_number", "map_index", taskIDAnnotation]

    /// The labels that select a task's Pod (Airflow-compatible keys, sanitized values).
    public static func labels(for key: TaskKey, controllerID: String) -> [(String, String)] {
        var labels: [(String, String)] = [
            ("dag_id", PodNaming.safeLabelValue(key.dagID)),
            ("task_id", PodNaming.safeLabelValue(key.taskID)),
            ("run_id", PodNaming.safeLabelValue(key.runID)),
            ("try_number", String(key.tryNumber)),
            ("kubernetes_executor", "True"),
            ("airflow-worker", PodNaming.safeLabelValue(controllerID)),
            ("app.kubernetes.io/managed-by", "taskpod"),
        ]
        if key.mapIndex >= 0 { labels.append(("map_index", String(key.mapIndex))) }
        return labels
    }

    /// The annotations that carry the raw key and the task's store id.
    public static func annotations(for key: TaskKey, id: Int64) -> [(String, String)] {
        var annotations: [(String, String)] = [
            ("dag_id", key.dagID), ("task_id", key.taskID), ("run_id", key.runID),
            ("try_number", String(key.tryNumber)), (taskIDAnnotation, String(id)),
        ]
        if key.mapIndex >= 0 { annotations.append(("map_index", String(key.mapIndex))) }
        return annotations
    }

    /// The `base` container's generated environment: what identifies the task, then the task's own variables.
    public static func environment(for key: TaskKey, id: Int64, spec: TaskSpec) -> [(String, String)] {
        [
            ("AIRFLOW_IS_K8S_EXECUTOR_POD", "True"),
            ("TASKPOD_TASK_ID", String(id)),
            ("TASKPOD_DAG_ID", key.dagID),
            ("TASKPOD_TASK_KEY", key.taskID),
            ("TASKPOD_RUN_ID", key.runID),
            ("TASKPOD_MAP_INDEX", String(key.mapIndex)),
            ("TASKPOD_TRY_NUMBER", String(key.tryNumber)),
        ] + spec.env.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
