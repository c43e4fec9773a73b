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
    /// The `Retry-After` header's seconds (429, and 5xx answers that ask clients to come back).
    var retryAfter: Int? = nil

    init(code: Int, reason: String, message: String, details: JSONObject?, retryAfter: Int? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.retryAfter = retryAfter
    }

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

    static func eventNotFound(_ name: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "events \"\(name)\" not found",
                 details: ["name": .string(name), "kind": "events"])
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
            + "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, "
            + "application/strategic-merge-patch+json",
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
        case notSupported(JSONValue, supported: [String])
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
        case .notSupported(let value, let supported):
            text = "Unsupported value: \(value.jsonString)"
            if !supported.isEmpty { text += ": supported values: " + supported.map(\.quoted).joined(separator: ", ") }
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
        case .notSupported: "FieldValueNotSupported"
        }
    }

    var description: String { "\(field): \(body)" }

    /// The entry of a Status's `details.causes`.
    var cause: JSONValue {
        ["reason": .string(reason), "message": .string(body), "field": .string(field)]
    }
}

extension APIError {
    /// 410 for a `continue` token whose snapshot has been compacted away (or is older than the TTL).
    static let continueTooOld = APIError(
        code: 410, reason: "Expired",
        message: "The provided continue parameter is too old to display a consistent list result. You can start a "
            + "new list without the continue parameter.",
        details: nil)

    /// 410 for `resourceVersionMatch=Exact` on a compacted resourceVersion.
    static let listResourceVersionTooOld = APIError(
        code: 410, reason: "Expired", message: "The resourceVersion for the provided list is too old.", details: nil)

    /// 504 for a list at a resourceVersion the store has not reached, as the watch cache answers after waiting.
    static func tooLargeResourceVersion(_ requested: Int64, current: Int64) -> APIError {
        APIError(
            code: 504, reason: "Timeout", message: "Too large resource version: \(requested), current: \(current)",
            details: [
                "causes": [["reason": "ResourceVersionTooLarge", "message": "Too large resource version"]],
                "retryAfterSeconds": 1,
            ])
    }

    /// 422 `Invalid` for list options that contradict each other.
    static func invalidListOptions(_ errors: [FieldError]) -> APIError {
        let summary = errors.count == 1
            ? errors[0].description : "[" + errors.map(\.description).joined(separator: ", ") + "]"
        return APIError(
            code: 422, reason: "Invalid", message: "ListOptions.meta.k8s.io \"\" is invalid: \(summary)",
            details: ["group": "meta.k8s.io", "kind": "ListOptions", "causes": .array(errors.map(\.cause))])
    }
}

extension APIError {
    static let leaseGroup = "coordination.k8s.io"

    private static func leaseDetails(_ name: String) -> JSONObject {
        ["name": .string(name), "group": .string(leaseGroup), "kind": "leases"]
    }

    static func leaseNotFound(_ name: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "leases.coordination.k8s.io \"\(name)\" not found",
                 details: leaseDetails(name))
    }

    static func leaseAlreadyExists(_ name: String) -> APIError {
        APIError(code: 409, reason: "AlreadyExists",
                 message: "leases.coordination.k8s.io \"\(name)\" already exists", details: leaseDetails(name))
    }

    static func leaseConflict(_ name: String) -> APIError {
        APIError(
            code: 409, reason: "Conflict",
            message: "Operation cannot be fulfilled on leases.coordination.k8s.io \"\(name)\": the object has been "
                + "modified; please apply your changes to the latest version and try again",
            details: leaseDetails(name))
    }

    /// 422 `Invalid`: `Lease.coordination.k8s.io "x" is invalid: <error>`.
    static func leaseInvalid(_ name: String, _ errors: [FieldError]) -> APIError {
        let summary = errors.count == 1
            ? errors[0].description : "[" + errors.map(\.description).joined(separator: ", ") + "]"
        return APIError(
            code: 422, reason: "Invalid", message: "Lease.coordination.k8s.io \"\(name)\" is invalid: \(summary)",
            details: [
                "name": .string(name), "group": .string(leaseGroup), "kind": "Lease",
                "causes": .array(errors.map(\.cause)),
            ])
    }
}

extension APIError {
    /// 401 for a request without valid credentials.
    static let unauthorized = APIError(code: 401, reason: "Unauthorized", message: "Unauthorized", details: nil)

    /// An injected fault, with the `Status` the real server sends for `code`.
    static func injected(code: Int, retryAfter: Int?) -> APIError {
        switch code {
        case 429:
            let seconds = retryAfter ?? 1
            return APIError(
                code: 429, reason: "TooManyRequests", message: "Too many requests, please try again later.",
                details: ["retryAfterSeconds": .int(Int64(seconds))], retryAfter: seconds)
        case 500:
            return APIError(
                code: 500, reason: "InternalError", message: "Internal error occurred: kubesim: injected fault",
                details: ["causes": [["message": "kubesim: injected fault"]]])
        case 503:
            return APIError(
                code: 503, reason: "ServiceUnavailable", message: "the server is currently unable to handle the request",
                details: nil, retryAfter: retryAfter)
        case 504:
            return APIError(
                code: 504, reason: "Timeout",
                message: "the server was unable to return a response in the time allotted, but may still be processing "
                    + "the request", details: ["retryAfterSeconds": 1], retryAfter: retryAfter)
        default:
            let reasons = [
                400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
                409: "Conflict", 410: "Expired", 413: "RequestEntityTooLarge", 415: "UnsupportedMediaType",
                422: "Invalid", 502: "InternalError",
            ]
            return APIError(
                code: code, reason: reasons[code] ?? (code >= 500 ? "InternalError" : "BadRequest"),
                message: "kubesim: injected fault (\(code))", details: nil, retryAfter: retryAfter)
        }
    }
}
