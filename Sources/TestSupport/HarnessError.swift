/// A failure of a test harness itself (a process that would not start, a run that timed out), as opposed to an
/// invariant the system under test broke (``ChaosViolation``).
public struct HarnessError: Error, CustomStringConvertible, Sendable {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
