import Foundation
import JSON
import TaskPodServer
import YAML

/// Checks answers against the served OpenAPI document: the status is documented for the path and method, the
/// content type is the documented one, and a JSON body fits the documented schema (required fields, types, enums,
/// through `$ref`, `allOf`, arrays and nested objects).
enum OpenAPIConformance {
    static let document: JSONValue = {
        do { return try YAML.parse(OpenAPIDocument.yaml) } catch { fatalError("openapi.yaml is not YAML: \(error)") }
    }()

    /// The documented path that `path` (with its query) matches, e.g. `/api/v1/tasks/{id}/log`.
    static func template(for path: String) -> String? {
        let bare = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        let segments = bare.split(separator: "/", omittingEmptySubsequences: false)
        for candidate in document["paths"]?.objectValue?.keys ?? [] {
            let parts = candidate.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == segments.count else { continue }
            if zip(parts, segments).allSatisfy({ $0 == $1 || ($0.hasPrefix("{") && $1 != "batch") }) { return candidate }
        }
        return nil
    }

    static func problems(method: String, path: String, status: Int, contentType: String?, body: String) -> [String] {
        guard let template = template(for: path) else { return ["the path is not documented"] }
        guard let operation = document[path: "paths", template, method.lowercased()] else {
            // A method the document does not list is answered 405.
            return status == 405 ? [] : ["\(method) is not documented for \(template)"]
        }
        guard var response = operation[path: "responses", String(status)] else {
            return ["status \(status) is not documented for \(method) \(template)"]
        }
        response = resolve(response)
        guard let content = response["content"]?.objectValue, let (mediaType, media) = content.first(where: { _ in true })
        else { return [] }
        let actual = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard actual == mediaType else { return ["content type \(actual), documented \(mediaType)"] }
        guard mediaType == "application/json", let schema = media["schema"] else { return [] }
        guard let value = try? JSONValue(parsing: body) else { return ["the body is not JSON"] }
        return validate(value, schema, at: "body")
    }

    static func resolve(_ value: JSONValue) -> JSONValue {
        guard let reference = value["$ref"]?.stringValue, reference.hasPrefix("#/") else { return value }
        var target = document
        for part in reference.dropFirst(2).split(separator: "/") { target = target[String(part)] ?? .null }
        return resolve(target)
    }

    static func validate(_ value: JSONValue, _ schema: JSONValue, at path: String) -> [String] {
        let schema = resolve(schema)
        var problems: [String] = []
        for part in schema["allOf"]?.arrayValue ?? [] { problems += validate(value, part, at: path) }
        if let types = schema["type"].map({ $0.arrayValue?.compactMap(\.stringValue) ?? [$0.stringValue ?? ""] }),
           !types.contains(where: { fits(value, $0) }) {
            return problems + ["\(path) is \(value.kindName), documented \(types.joined(separator: " or "))"]
        }
        if let allowed = schema["enum"]?.arrayValue, !allowed.contains(value) {
            problems.append("\(path) is \(value.jsonString), not one of the documented values")
        }
        if let object = value.objectValue {
            for field in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[field] == nil {
                problems.append("\(path).\(field) is required but missing")
            }
            for (field, child) in object {
                if let fieldSchema = schema[path: "properties", field] {
                    problems += validate(child, fieldSchema, at: "\(path).\(field)")
                } else if let extra = schema["additionalProperties"], extra.objectValue != nil {
                    problems += validate(child, extra, at: "\(path).\(field)")
                }
            }
        }
        if let items = value.arrayValue, let itemSchema = schema["items"] {
            for (index, item) in items.enumerated() { problems += validate(item, itemSchema, at: "\(path)[\(index)]") }
        }
        return problems
    }

    static func fits(_ value: JSONValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("integer", .int), ("number", .int), ("number", .double),
             ("string", .string), ("array", .array), ("object", .object): true
        default: false
        }
    }
}
