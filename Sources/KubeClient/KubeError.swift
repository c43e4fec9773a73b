/// A request the API server answered with an error: its `Status` decoded, with the HTTP status and the
/// request it answered. Its description carries no credentials.
public struct KubeError: Error, CustomStringConvertible, Sendable {
    /// An opaque code from the Status `reason` and HTTP status; match on the static values.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public static let notFound = Code(name: "NotFound")
        public static let alreadyExists = Code(name: "AlreadyExists")
        public static let conflict = Code(name: "Conflict")
        public static let invalid = Code(name: "Invalid")
        public static let badRequest = Code(name: "BadRequest")
        public static let unauthorized = Code(name: "Unauthorized")
        public static let forbidden = Code(name: "Forbidden")
        /// 410: a resourceVersion or continue token too old to serve.
        public static let expired = Code(name: "Expired")
        public static let tooManyRequests = Code(name: "TooManyRequests")
        public static let serverError = Code(name: "ServerError")
        public static let unsupportedMediaType = Code(name: "UnsupportedMediaType")
        public static let other = Code(name: "Other")
        public var description: String { name }
    }

    public var code: Code
    public var httpStatus: Int
    /// The Status the server sent, when it sent one.
    public var status: Status?
    /// Method and path of the request.
    public var request: String
    /// Seconds the server asked to wait (`Retry-After`), if any.
    public var retryAfterSeconds: Int?

    public init(httpStatus: Int, status: Status?, request: String, retryAfterSeconds: Int? = nil) {
        self.httpStatus = httpStatus
        self.status = status
        self.request = request
        self.retryAfterSeconds = retryAfterSeconds
        self.code = KubeError.code(httpStatus: httpStatus, reason: status?.reason)
    }

    public var message: String { status?.message ?? "HTTP \(httpStatus)" }
    public var reason: String { status?.reason ?? code.name }

    public var description: String { "\(request): \(httpStatus) \(reason): \(message)" }

    /// True for the answers a client retries with backoff: 429, 500, 502, 503, 504.
    public var isRetryable: Bool { [429, 500, 502, 503, 504].contains(httpStatus) }

    static func code(httpStatus: Int, reason: String?) -> Code {
        switch reason {
        case "NotFound": return .notFound
        case "AlreadyExists": return .alreadyExists
        case "Conflict": return .conflict
        case "Invalid": return .invalid
        case "Expired", "Gone": return .expired
        case "Unauthorized": return .unauthorized
        case "Forbidden": return .forbidden
        case "TooManyRequests": return .tooManyRequests
        case "BadRequest": return .badRequest
        case "UnsupportedMediaType": return .unsupportedMediaType
        default: break
        }
        switch httpStatus {
        case 400: return .badRequest
        case 401: return .unauthorized
        case 403: return .forbidden
        case 404: return .notFound
        case 409: return .conflict
        case 410: return .expired
        case 415: return .unsupportedMediaType
        case 422: return .invalid
        case 429: return .tooManyRequests
        case 500...599: return .serverError
        default: return .other
        }
    }
}
