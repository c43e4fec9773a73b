/// A Pod as the controller reads it: the typed subset of `v1.Pod` taskpod acts on.
///
/// Pods taskpod *creates* are built as ``JSON/JSONValue`` so that every field of a template survives;
/// this type is for what comes back from the API server.
public struct Pod: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: PodSpec?
    public var status: PodStatus?

    public init(metadata: ObjectMeta, spec: PodSpec? = nil, status: PodStatus? = nil) {
        self.apiVersion = "v1"
        self.kind = "Pod"
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    public var name: String { metadata.name ?? "" }
    public var namespace: String { metadata.namespace ?? "" }
    public var phase: PodPhase? { status?.phase }
}

public struct PodSpec: Codable, Sendable, Hashable {
    public var nodeName: String?
    public var restartPolicy: String?
    public var containers: [Container]?
    public var initContainers: [Container]?

    public init(containers: [Container]? = nil) { self.containers = containers }
}

public struct Container: Codable, Sendable, Hashable {
    public var name: String
    public var image: String?
    public var command: [String]?
    public var args: [String]?

    public init(name: String, image: String? = nil, command: [String]? = nil, args: [String]? = nil) {
        self.name = name
        self.image = image
        self.command = command
        self.args = args
    }
}

/// `status.phase`. Unknown values from a newer server decode as ``unknown``.
public enum PodPhase: String, Codable, Sendable, Hashable {
    case pending = "Pending"
    case running = "Running"
    case succeeded = "Succeeded"
    case failed = "Failed"
    case unknown = "Unknown"

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        self = PodPhase(rawValue: raw) ?? .unknown
    }
}

public struct PodStatus: Codable, Sendable, Hashable {
    public var phase: PodPhase?
    public var reason: String?
    public var message: String?
    public var hostIP: String?
    public var podIP: String?
    public var startTime: String?
    public var conditions: [PodCondition]?
    public var containerStatuses: [ContainerStatus]?
    public var initContainerStatuses: [ContainerStatus]?

    public init(phase: PodPhase? = nil) { self.phase = phase }
}

public struct PodCondition: Codable, Sendable, Hashable {
    public var type: String
    public var status: String
    public var reason: String?
    public var message: String?
    public var lastTransitionTime: String?

    public init(type: String, status: String, reason: String? = nil, message: String? = nil) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
    }
}

public struct ContainerStatus: Codable, Sendable, Hashable {
    public var name: String
    public var ready: Bool?
    public var restartCount: Int?
    public var image: String?
    public var state: ContainerState?
    public var lastState: ContainerState?

    public init(name: String, state: ContainerState? = nil) {
        self.name = name
        self.state = state
    }
}

public struct ContainerState: Codable, Sendable, Hashable {
    public var waiting: ContainerStateWaiting?
    public var running: ContainerStateRunning?
    public var terminated: ContainerStateTerminated?

    public init(
        waiting: ContainerStateWaiting? = nil,
        running: ContainerStateRunning? = nil,
        terminated: ContainerStateTerminated? = nil
    ) {
        self.waiting = waiting
        self.running = running
        self.terminated = terminated
    }
}

public struct ContainerStateWaiting: Codable, Sendable, Hashable {
    public var reason: String?
    public var message: String?
    public init(reason: String? = nil, message: String? = nil) {
        self.reason = reason
        self.message = message
    }
}

public struct ContainerStateRunning: Codable, Sendable, Hashable {
    public var startedAt: String?
    public init(startedAt: String? = nil) { self.startedAt = startedAt }
}

public struct ContainerStateTerminated: Codable, Sendable, Hashable {
    public var exitCode: Int32
    public var reason: String?
    public var message: String?
    public var startedAt: String?
    public var finishedAt: String?
    public init(exitCode: Int32, reason: String? = nil, message: String? = nil) {
        self.exitCode = exitCode
        self.reason = reason
        self.message = message
    }
}

/// `v1.PodList`.
public struct PodList: Codable, Sendable {
    public var metadata: ListMeta
    public var items: [Pod]
}
