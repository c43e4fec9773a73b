/// A strategic merge patch that cannot be applied, with where in the patch and why; the messages follow
/// what `kubectl patch --type strategic` and the API server refuse.
public struct StrategicMergeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where in the document, e.g. `spec.containers[1]`.
    public var path: String
    /// What is wrong and what would be valid.
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}
