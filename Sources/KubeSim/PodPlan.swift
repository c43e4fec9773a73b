import JSON

/// What a Pod's `kubesim.taskpod.io/*` annotations ask of the simulated kubelet.
///
/// Run time, exit code, log and OOM apply in `scripted` mode; unschedulable, image pull errors, config errors,
/// start time and eviction in both modes.
struct PodPlan: Sendable, Equatable {
    static let prefix = "kubesim.taskpod.io/"

    var runTime: Duration
    var exitCode: Int32 = 0
    var logLines: [String] = []
    var oomKilled = false
    var imagePullError = false
    var unschedulable = false
    var evictAfter: Duration?
    /// How long the containers stay in `ContainerCreating` (`start-seconds`); `nil` for the configured delay.
    var startTime: Duration?
    /// The message of a `CreateContainerConfigError` (`config-error`: the message, or `true` for a missing
    /// Secret's).
    var configError: String?

    init(_ pod: JSONValue, defaultRunTime: Duration) {
        let annotations = pod[path: "metadata", "annotations"]?.objectValue ?? [:]
        func value(_ name: String) -> String? {
            annotations[Self.prefix + name]?.stringValue?.trimmingWhitespace
        }
        runTime = value("run-seconds").flatMap(Self.duration) ?? defaultRunTime
        exitCode = value("exit-code").flatMap { Int32($0) } ?? 0
        if let log = annotations[Self.prefix + "log"]?.stringValue, !log.isEmpty {
            var lines = log.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.last == "" { lines.removeLast() }
            logLines = lines
        }
        oomKilled = value("oom") == "true"
        imagePullError = value("image-pull-error") == "true"
        unschedulable = value("unschedulable") == "true"
        evictAfter = value("evict-after-seconds").flatMap(Self.duration)
        startTime = value("start-seconds").flatMap(Self.duration)
        if let message = value("config-error"), !message.isEmpty, message != "false" {
            configError = message == "true" ? Self.defaultConfigError : message
        }
    }

    static let defaultConfigError = "secret \"kubesim-missing\" not found"

    /// Decimal seconds (`1.5`) as a duration; `nil` for anything else or a negative number.
    static func duration(_ text: String) -> Duration? {
        guard let seconds = Double(text), seconds.isFinite, seconds >= 0 else { return nil }
        return .nanoseconds(Int64(seconds * 1e9))
    }
}

extension String {
    var trimmingWhitespace: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
