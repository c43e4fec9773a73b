import Foundation

/// Leader election over a `coordination.k8s.io/v1` Lease, as client-go does it: a pure state machine of
/// what to do with the Lease as read; ``LeaderElector`` performs the calls.
///
/// A candidate takes the Lease when it is free, held by itself, or not renewed for `leaseDuration` as
/// measured on the candidate's own clock since it last saw the Lease change (so clocks need not agree).
public struct LeaderElection: Sendable {
    public struct Timing: Sendable {
        /// How long a holder's claim lasts without renewal.
        public var leaseDuration: Duration = .seconds(15)
        /// A leader that cannot renew for this long steps down.
        public var renewDeadline: Duration = .seconds(10)
        /// How often candidates try and leaders renew.
        public var retryPeriod: Duration = .seconds(2)
        public init(leaseDuration: Duration = .seconds(15), renewDeadline: Duration = .seconds(10), retryPeriod: Duration = .seconds(2)) {
            self.leaseDuration = leaseDuration
            self.renewDeadline = renewDeadline
            self.retryPeriod = retryPeriod
        }
    }

    public enum Decision: Sendable, Equatable {
        /// Write the Lease with us as holder (`transition`: the holder changes).
        case take(transition: Bool)
        /// Someone else holds it and is alive: wait.
        case wait(holder: String)
    }

    public let identity: String
    public let timing: Timing
    private var observedRecord: LeaseSpec?
    private var observedAt: ContinuousClock.Instant?

    public init(identity: String, timing: Timing) {
        self.identity = identity
        self.timing = timing
    }

    /// Decides what to do with the Lease as just read (nil: there is none).
    public mutating func observe(_ spec: LeaseSpec?, now: ContinuousClock.Instant) -> Decision {
        guard let spec else { return .take(transition: true) }
        if spec != observedRecord {
            observedRecord = spec
            observedAt = now
        }
        let holder = spec.holderIdentity ?? ""
        if holder.isEmpty { return .take(transition: true) }
        if holder == identity { return .take(transition: false) }
        let duration = spec.leaseDurationSeconds.map { Duration.seconds($0) } ?? timing.leaseDuration
        if let observedAt, now - observedAt >= duration { return .take(transition: true) }
        return .wait(holder: holder)
    }

    /// The MicroTime text of `date`.
    public static func microTime(_ date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'"
        return formatter.string(from: date)
    }
}
