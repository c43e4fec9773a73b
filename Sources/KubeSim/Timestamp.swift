#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A wall-clock instant with nanoseconds, formatted the way the API server and the kubelet write times.
struct Timestamp: Sendable, Hashable, Comparable {
    var seconds: Int64
    var nanoseconds: Int64

    static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(seconds: Int64(spec.tv_sec), nanoseconds: Int64(spec.tv_nsec))
    }

    static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }

    /// `2006-01-02T15:04:05Z`, as in `metadata.creationTimestamp`.
    var rfc3339: String { dateTime + "Z" }

    /// `2006-01-02T15:04:05.000000000Z` (always nine digits), as kubelet log timestamps.
    var rfc3339NanoFixed: String {
        let fraction = String(nanoseconds)
        return dateTime + "." + String(repeating: "0", count: 9 - fraction.count) + fraction + "Z"
    }

    private var dateTime: String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return "\(Self.pad(Int(parts.tm_year) + 1900, 4))-\(Self.pad(Int(parts.tm_mon) + 1, 2))-"
            + "\(Self.pad(Int(parts.tm_mday), 2))T\(Self.pad(Int(parts.tm_hour), 2)):"
            + "\(Self.pad(Int(parts.tm_min), 2)):\(Self.pad(Int(parts.tm_sec), 2))"
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
