/// How a container ended.
struct ContainerOutcome: Sendable {
    var exitCode: Int32
    /// `Completed`, `Error`, `OOMKilled`, `ContainerCannotRun`.
    var reason: String
    var message: String?
    var startedAt: Timestamp
    var finishedAt: Timestamp
    /// Set when the node evicted the Pod: the Pod's `status.message`.
    var evictionMessage: String?

    static func exited(_ code: Int32, startedAt: Timestamp) -> ContainerOutcome {
        ContainerOutcome(
            exitCode: code, reason: code == 0 ? "Completed" : "Error", message: nil, startedAt: startedAt,
            finishedAt: .now(), evictionMessage: nil)
    }

    func finished(at time: Timestamp) -> ContainerOutcome {
        var outcome = self
        outcome.finishedAt = time
        return outcome
    }
}
