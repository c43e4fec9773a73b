import JSON
import PodSchema

/// What the API server does with fields its schema does not know (`?fieldValidation=`): `Strict` fails the
/// request (400), `Warn` (the default) drops them with a `Warning` header each, `Ignore` drops them silently.
/// Unknown fields never reach storage, as with the real server's typed decoding.
enum FieldValidation: String, Sendable {
    case ignore = "Ignore"
    case warn = "Warn"
    case strict = "Strict"

    /// The directive of a write request.
    ///
    /// - Parameter optionsKind: `CreateOptions`, `UpdateOptions` or `PatchOptions`, for the error message.
    /// - Throws: ``APIError`` 422 for a value that is not one of the three.
    init(_ query: QueryParameters, optionsKind: String) throws(APIError) {
        let text = query["fieldValidation"] ?? ""
        if text.isEmpty {
            self = .warn
            return
        }
        guard let value = FieldValidation(rawValue: text) else {
            let error = FieldError(
                kind: .notSupported(.string(text), supported: ["", "Ignore", "Strict", "Warn"]),
                field: "fieldValidation", detail: nil)
            throw APIError(
                code: 422, reason: "Invalid",
                message: "\(optionsKind).meta.k8s.io \"\" is invalid: \(error.description)",
                details: ["group": "meta.k8s.io", "kind": .string(optionsKind), "causes": [error.cause]])
        }
        self = value
    }

    /// Checks a whole Pod against ``PodSchema`` and drops its unknown fields.
    ///
    /// - Parameters:
    ///   - strictPrefix: What precedes `strict decoding error: …` in the 400 message (`Pod in version "v1" cannot
    ///     be handled as a Pod: ` on create and update; nothing on patch).
    /// - Returns: The Pod without unknown fields, and the warnings to send (`unknown field "spec.x"`).
    /// - Throws: ``APIError`` 400 with `Strict` when there is an unknown field.
    func apply(to pod: JSONValue, strictPrefix: String) throws(APIError) -> (JSONValue, [String]) {
        let unknown = PodSchema.validate(pod, asPartial: false).compactMap { violation -> SchemaPath? in
            if case .unknownField = violation.kind { return violation.path }
            return nil
        }
        guard !unknown.isEmpty else { return (pod, []) }
        let messages = unknown.map { "unknown field \($0.indexed.quoted)" }
        if self == .strict {
            throw APIError.badRequest(strictPrefix + "strict decoding error: " + messages.joined(separator: ", "))
        }
        var pruned = pod
        // Remove from the deepest and last first, so that earlier list positions stay valid.
        for path in unknown.reversed() { pruned = Self.removing(path.components[...], from: pruned) }
        return (pruned, self == .warn ? messages : [])
    }

    private static func removing(_ path: ArraySlice<SchemaPath.Component>, from value: JSONValue) -> JSONValue {
        guard let first = path.first else { return value }
        let rest = path.dropFirst()
        switch (first, value) {
        case (.field(let name), .object(var object)), (.key(let name), .object(var object)):
            if rest.isEmpty {
                object[name] = nil
            } else if let child = object[name] {
                object[name] = removing(rest, from: child)
            }
            return .object(object)
        case (.element(let index, _), .array(var array)) where array.indices.contains(index):
            if rest.isEmpty {
                array.remove(at: index)
            } else {
                array[index] = removing(rest, from: array[index])
            }
            return .array(array)
        default:
            return value
        }
    }
}
