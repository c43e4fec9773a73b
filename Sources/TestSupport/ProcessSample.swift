import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One reading of a process's resident memory and CPU time from `/proc` (Linux): what the soak and the benchmark
/// suite sample of the controller and the simulator.
public struct ProcessSample: Sendable, Codable {
    /// `VmRSS` of `/proc/PID/status`, in bytes.
    public var rssBytes: Int
    /// `utime + stime` of `/proc/PID/stat`, in seconds.
    public var cpuSeconds: Double

    public static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// Reads process `pid`; nil when it is gone or `/proc` is not there.
    public static func read(pid: Int32) -> ProcessSample? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let rss = rssBytes(status: status), let cpu = cpuSeconds(stat: stat)
        else { return nil }
        return ProcessSample(rssBytes: rss, cpuSeconds: cpu)
    }

    /// The peak resident memory of process `pid` so far (`VmHWM`), in bytes; nil when it is gone.
    public static func peakRSSBytes(pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        return rssBytes(status: status, field: "VmHWM:")
    }

    /// `VmRSS:    12345 kB` → bytes (or another field of `/proc/PID/status` counted in kB).
    public static func rssBytes(status: String, field: String = "VmRSS:") -> Int? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }) else { return nil }
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 3, fields[2] == "kB", let kibibytes = Int(fields[1]) else { return nil }
        return kibibytes * 1024
    }

    /// Fields 14 and 15 of `/proc/PID/stat` (utime, stime, in clock ticks), counted after the `)` that ends the
    /// command name (which may hold spaces).
    public static func cpuSeconds(stat: String) -> Double? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        // After ")": field 3 (state) is the first.
        let fields = stat[stat.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / ticksPerSecond
    }
}
