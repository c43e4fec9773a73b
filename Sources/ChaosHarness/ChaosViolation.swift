import KubeSimTestKit
import TestSupport
/// An invariant a chaos run found broken: what, for which task, and the evidence.
public struct ChaosViolation: Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// A planned task is not in the store.
        case lost
        /// A task did not reach a final state in time.
        case unfinished
        /// A task ended in another state, or with another reason, than its script says.
        case wrongFinalState
        /// More than one successful Pod create for one task try.
        case duplicateCreate
        /// A task that ended with a Pod has no successful create in the audit log.
        case missingCreate
        /// A finished task's log is empty, misses a scripted line or has one twice.
        case log
        /// The task's recorded transitions are not a valid history.
        case events
        /// A live (not done) Pod is left after every task ended.
        case leakedPod
        /// A controller process ended without being killed, or failed its graceful stop.
        case controllerCrash
        /// The audit log is empty or has a line that is not an entry: the creates cannot all be counted.
        case audit
        /// The Pods left at the end could not be listed: no Pod cannot be told from no answer.
        case settle
        /// The run did not exercise what it claims: no task, no kill with tasks in flight, faults never injected.
        case vacuous
    }

    public var kind: Kind
    public var task: String?
    public var detail: String

    public init(_ kind: Kind, task: String?, _ detail: String) {
        self.kind = kind
        self.task = task
        self.detail = detail
    }

    public var description: String { "[\(kind.rawValue)] \(task.map { "\($0): " } ?? "")\(detail)" }
}
