/// `meta/v1.Status`: what the API server answers with when a request fails.
public struct Status: Codable, Sendable, Hashable {
    public var kind: String?
    public var apiVersion: String?
    public var status: String?
    public var message: String?
    public var reason: String?
    public var code: Int?
    public var details: StatusDetails?

    public init(status: String? = "Failure", message: String?, reason: String?, code: Int?, details: StatusDetails? = nil) {
        self.kind = "Status"
        self.apiVersion = "v1"
        self.status = status
        self.message = message
        self.reason = reason
        self.code = code
        self.details = details
    }
}

public struct StatusDetails: Codable, Sendable, Hashable {
    public var name: String?
    public var group: String?
    public var kind: String?
    public var retryAfterSeconds: Int?
    public var causes: [StatusCause]?

    public init(name: String? = nil, kind: String? = nil, retryAfterSeconds: Int? = nil, causes: [StatusCause]? = nil) {
        self.name = name
        self.kind = kind
        self.retryAfterSeconds = retryAfterSeconds
        self.causes = causes
    }
}

public struct StatusCause: Codable, Sendable, Hashable {
    public var reason: String?
    public var message: String?
    public var field: String?

    public init(reason: String? = nil, message: String? = nil, field: String? = nil) {
        self.reason = reason
        self.message = message
        self.field = field
    }
}
