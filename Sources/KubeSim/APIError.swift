import JSON

/// A failed API request, written to the client as a `Status` object exactly like the API server's.
///
/// ```json
/// {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"x\" not found",
///  "reason":"NotFound","details":{"name":"x","kind":"pods"},"code":404}
/// ```
struct APIError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status code, repeated as the Status's `code`.
    var code: Int
    /// The Status's `reason` (`NotFound`, `AlreadyExists`, `Invalid`, …).
    var reason: String
    var message: String
    /// The Status's `details`, when the real server sends them.
    var details: JSONObject?

    var description: String { "\(code) \(reason): \(message)" }

    /// The `Status` object for this error.
    var status: JSONValue {
        var object: JSONObject = [
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": .object([:]),
            "status": "Failure",
            "message": .string(message),
            "reason": .string(reason),
        ]
        if let details { object["details"] = .object(details) }
        object["code"] = .int(Int64(code))
        return .object(object)
    }

    static func podNotFound(_ name: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "pods \"\(name)\" not found",
                 details: ["name": .string(name), "kind": "pods"])
    }

    static func podAlreadyExists(_ name: String) -> APIError {
        APIError(code: 409, reason: "AlreadyExists", message: "pods \"\(name)\" already exists",
                 details: ["name": .string(name), "kind": "pods"])
    }

    static func podConflict(_ name: String) -> APIError {
        APIError(
            code: 409, reason: "Conflict",
            message: "Operation cannot be fulfilled on pods \"\(name)\": the object has been modified; "
                + "please apply your changes to the latest version and try again",
            details: ["name": .string(name), "kind": "pods"])
    }

    /// 422 `Invalid`: `Pod "x" is invalid: <error>` or `… is invalid: [<error>, <error>]`, with `details.causes`.
    static func podInvalid(_ name: String, _ errors: [FieldError]) -> APIError {
        let summary = errors.count == 1
            ? errors[0].description : "[" + errors.map(\.description).joined(separator: ", ") + "]"
        return APIError(
            code: 422, reason: "Invalid", message: "Pod \"\(name)\" is invalid: \(summary)",
            details: ["name": .string(name), "kind": "Pod", "causes": .array(errors.map(\.cause))])
    }

    static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message, details: nil)
    }

    static let unsupportedPatchType = APIError(
        code: 415, reason: "UnsupportedMediaType",
        message: "the body of the request was in an unknown format - accepted media types include: "
            + "application/merge-patch+json",
        details: nil)

    static let notFoundPath = APIError(
        code: 404, reason: "NotFound", message: "the server could not find the requested resource", details: [:])

    static let methodNotAllowed = APIError(
        code: 405, reason: "MethodNotAllowed",
        message: "the server does not allow this method on the requested resource", details: [:])

    static let requestTooLarge = APIError(
        code: 413, reason: "RequestEntityTooLarge", message: "request entity too large: limit is 3145728", details: nil)

    /// 410 `Expired`, sent as a watch's ERROR event when the requested resourceVersion is out of the history.
    static func expired(requested: Int64, oldestAvailable: Int64) -> APIError {
        APIError(code: 410, reason: "Expired",
                 message: "too old resource version: \(requested) (\(oldestAvailable))", details: nil)
    }

    static func shuttingDown() -> APIError {
        APIError(code: 503, reason: "ServiceUnavailable", message: "the server is shutting down", details: nil)
    }
}

/// One field's validation error, as the API server's `field.Error`: `spec.containers: Required value`.
struct FieldError: Sendable, CustomStringConvertible {
    enum Kind: Sendable {
        case required
        case invalid(JSONValue)
        case duplicate(JSONValue)
        case forbidden
    }

    var kind: Kind
    /// The field path, e.g. `spec.containers[0].image`.
    var field: String
    var detail: String?

    static func required(_ field: String, _ detail: String? = nil) -> FieldError {
        FieldError(kind: .required, field: field, detail: detail)
    }

    static func invalid(_ field: String, _ value: JSONValue, _ detail: String) -> FieldError {
        FieldError(kind: .invalid(value), field: field, detail: detail)
    }

    static func duplicate(_ field: String, _ value: JSONValue) -> FieldError {
        FieldError(kind: .duplicate(value), field: field, detail: nil)
    }

    /// `Required value`, `Invalid value: "x": detail`, …: the text after the field path.
    var body: String {
        var text: String
        switch kind {
        case .required: text = "Required value"
        case .invalid(let value): text = "Invalid value: \(value.jsonString)"
        case .duplicate(let value): text = "Duplicate value: \(value.jsonString)"
        case .forbidden: text = "Forbidden"
        }
        if let detail { text += ": " + detail }
        return text
    }

    var reason: String {
        switch kind {
        case .required: "FieldValueRequired"
        case .invalid: "FieldValueInvalid"
        case .duplicate: "FieldValueDuplicate"
        case .forbidden: "FieldValueForbidden"
        }
    }

    var description: String { "\(field): \(body)" }

    /// The entry of a Status's `details.causes`.
    var cause: JSONValue {
        ["reason": .string(reason), "message": .string(body), "field": .string(field)]
    }
}
