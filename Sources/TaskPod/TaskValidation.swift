import JSON
import PodSchema
import TaskStore

/// One problem of a submitted task: the field, as the submission names it, and what would be valid.
///
/// Fields are written as in the HTTP API's JSON: `dag_id`, `command`, `env.NAME`,
/// `pod_override.spec.containers[0].resources.limits.memory` (list elements by position in the submitted document),
/// `pod_template.spec...`; a problem of the controller's own template or of the rendered Pod as a whole is
/// `pod.spec...`.
public struct FieldProblem: Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

extension PodBuilder {
    /// Every reason this controller (its template, default namespace and image) would refuse the task, without storing
    /// or creating anything; empty when its Pod can be built and would pass the API server's checks.
    ///
    /// ```swift
    /// let problems = controller.builder.problems(key: key, spec: spec)
    /// // [pod_override.spec.containers[0].resources.limits.memory: "12Zi" is not a valid quantity ...]
    /// ```
    public func problems(key: TaskKey, spec: TaskSpec) -> [FieldProblem] {
        var problems = Self.keyProblems(key) + Self.specProblems(spec)
        guard problems.isEmpty else { return problems }
        if let template = spec.podTemplate {
            do {
                try PodBuilder.checkTemplate(template, source: "task's pod template")
            } catch let error as PodBuildError {
                return error.all.map { Self.located($0, spec: spec, in: .podTemplate) }
            } catch {
                return [FieldProblem(field: "pod_template", message: "\(error)")]
            }
        }
        if let override = spec.podOverride {
            guard case .object = override else {
                return [FieldProblem(field: "pod_override", message: "must be an object (a partial Pod), not \(override.kindName)")]
            }
            // The override's own schema problems, by position in the override as the client wrote it.
            problems = PodSchema.validate(override, asPartial: true).map {
                FieldProblem(field: "pod_override.\($0.path.indexed)", message: $0.message)
            }
            guard problems.isEmpty else { return problems }
        }
        do {
            _ = try build(id: 0, key: key, spec: spec, template: spec.podTemplate)
            return []
        } catch let error as PodBuildError {
            return error.all.map { Self.located($0, spec: spec, in: nil) }
        } catch {
            return [FieldProblem(field: "pod", message: "\(error)")]
        }
    }

    static func keyProblems(_ key: TaskKey) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        for (field, value) in [("dag_id", key.dagID), ("task_id", key.taskID), ("run_id", key.runID)] {
            if value.isEmpty { problems.append(FieldProblem(field: field, message: "is required and must not be empty")) }
            if value.utf8.contains(0) { problems.append(FieldProblem(field: field, message: "contains a NUL character")) }
        }
        if key.tryNumber < 1 {
            problems.append(FieldProblem(field: "try_number", message: "must be 1 or more, not \(key.tryNumber)"))
        }
        if key.mapIndex < -1 {
            problems.append(FieldProblem(field: "map_index", message: "must be -1 (not mapped) or 0 and up, not \(key.mapIndex)"))
        }
        return problems
    }

    static func specProblems(_ spec: TaskSpec) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        switch (spec.command.isEmpty, spec.args) {
        case (false, .some):
            problems.append(FieldProblem(
                field: "command", message: "give either command (replaces the image's entrypoint) or args, not both"))
        case (true, nil):
            problems.append(FieldProblem(field: "command", message: "is required: give command or args (a non-empty array)"))
        case (true, .some(let args)) where args.isEmpty:
            problems.append(FieldProblem(field: "args", message: "must not be empty"))
        default:
            break
        }
        for name in spec.env.keys.sorted() {
            let printable = name.unicodeScalars.allSatisfy { (0x20...0x7E).contains($0.value) && $0 != "=" }
            if name.isEmpty || !printable {
                problems.append(FieldProblem(
                    field: "env.\(name)", message: "is not a valid variable name: printable ASCII characters except '='"))
            }
        }
        for (field, value) in [("image", spec.image), ("namespace", spec.namespace)] {
            if let value, value.isEmpty { problems.append(FieldProblem(field: field, message: "must not be empty; leave it out")) }
        }
        return problems
    }

    enum Document { case podOverride, podTemplate }

    /// Names a problem of the rendered Pod by where the client wrote the field: in its override, else in its own
    /// template, else in the rendered Pod (`pod.`).
    static func located(_ problem: PodBuildError, spec: TaskSpec, in document: Document?) -> FieldProblem {
        let field = problem.field
        if field == "pod_template_file" || field == "pod_override" {
            return FieldProblem(field: document == .podTemplate ? "pod_template" : field, message: problem.message)
        }
        if document != .podTemplate, let override = spec.podOverride, let path = indexedPath(field, in: override) {
            return FieldProblem(field: "pod_override.\(path)", message: problem.message)
        }
        if let template = spec.podTemplate, let path = indexedPath(field, in: template) {
            return FieldProblem(field: "pod_template.\(path)", message: problem.message)
        }
        return FieldProblem(field: field.isEmpty ? "pod" : "pod.\(field)", message: problem.message)
    }

    /// The position path (`spec.containers[0].resources`) of the field that `path` names by merge key
    /// (`spec.containers[base].resources`) when `document` holds it (or its nearest holding parent); nil when the
    /// document does not hold the field's top-level part.
    static func indexedPath(_ path: String, in document: JSONValue) -> String? {
        var rest = Substring(path)
        var value = document
        var out = ""
        var matched = 0
        while !rest.isEmpty {
            if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]"), let items = value.arrayValue else { break }
                let selector = String(rest[rest.index(after: rest.startIndex)..<close])
                let index = items.firstIndex { item in
                    ["name", "mountPath", "containerPort", "ip"].contains { item[$0]?.stringValue == selector }
                } ?? Int(selector).flatMap { items.indices.contains($0) ? $0 : nil }
                guard let index else { break }
                out += "[\(index)]"
                value = items[index]
                rest = rest[rest.index(after: close)...]
            } else {
                if rest.hasPrefix(".") { rest = rest.dropFirst() }
                guard let object = value.objectValue else { break }
                // Keys may hold dots (example.com/team): the longest key that the path continues with.
                let key = object.keys.filter { key in
                    rest.hasPrefix(key) && (rest.count == key.count || [".", "["].contains(rest.dropFirst(key.count).first))
                }.max { $0.count < $1.count }
                guard let key, let child = object[key] else { break }
                out += out.isEmpty ? key : ".\(key)"
                value = child
                rest = rest.dropFirst(key.count)
            }
            matched += 1
        }
        guard matched > 1 || (matched == 1 && rest.isEmpty) else { return nil }
        return rest.isEmpty ? out : out + (rest.hasPrefix("[") || rest.hasPrefix(".") ? "" : ".") + rest
    }
}
