import Foundation

/// A wall-clock instant with nanoseconds, formatted the way the API server and the kubelet write times.
struct Timestamp: Sendable, Hashable, Comparable {
    var seconds: Int64
    var nanoseconds: Int64

    init(seconds: Int64, nanoseconds: Int64) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    static func now() -> Timestamp {
        // Through Foundation, not timespec: under MemberImportVisibility a release build resolves timespec's
        // members to CDispatch's copy, which this module does not import. Double keeps sub-microsecond precision.
        let now = Date().timeIntervalSince1970
        let seconds = now.rounded(.down)
        return Timestamp(seconds: Int64(seconds), nanoseconds: min(999_999_999, Int64((now - seconds) * 1e9)))
    }

    static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }

    /// Parses `2006-01-02T15:04:05Z` (fractional seconds allowed); `nil` for anything else.
    init?(rfc3339 text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19)
        else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        self.init(seconds: Int64(timegm(&parts)), nanoseconds: 0)
    }

    /// `2006-01-02T15:04:05.000000Z`, as a Lease's `renewTime` (`MicroTime`).
    var rfc3339Micro: String {
        let fraction = String(nanoseconds / 1000)
        return dateTime + "." + String(repeating: "0", count: 6 - fraction.count) + fraction + "Z"
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
