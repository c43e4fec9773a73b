import Foundation
import JSON
import TaskStore

/// Deterministic Pod names and Airflow-compatible label values.
public enum PodNaming {
    /// The Pod name of a task try: a DNS-1123 label of at most 63 characters, the same for the same key and try,
    /// distinct for distinct ones. A readable part (DAG and task id, lower-cased, other characters folded into
    /// `-`) ends with a 16-hex-digit hash of the full key (DAG, task, run, map index, try).
    ///
    /// ```
    /// etl-daily-load-users-5f0c4a91e2b7d3c8   // dag "etl_daily", task "load.users"
    /// ```
    public static func podName(for key: TaskKey) -> String {
        let full: JSONValue = [
            .string(key.dagID), .string(key.taskID), .string(key.runID), .int(Int64(key.mapIndex)), .int(Int64(key.tryNumber)),
        ]
        let hash = String(md5Hex(Array(full.jsonString.utf8)).prefix(16))
        var readable = slug("\(key.dagID)-\(key.taskID)")
        let room = 63 - hash.count - 1
        if readable.utf8.count > room { readable = String(readable.prefix(room)) }
        while readable.last == "-" { readable.removeLast() }
        return readable.isEmpty ? "task-\(hash)" : "\(readable)-\(hash)"
    }

    /// Lower-case `[a-z0-9-]`, runs of anything else folded into one `-`, no leading `-`.
    static func slug(_ text: String) -> String {
        var out = ""
        var lastDash = true
        for scalar in text.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                out.unicodeScalars.append(scalar)
                lastDash = false
            } else if !lastDash {
                out += "-"
                lastDash = true
            }
        }
        return out
    }

    /// A label value exactly as Airflow's `make_safe_label_value` makes it: non-alphanumerics stripped from both
    /// ends, characters outside `[A-Za-z0-9_.-]` dropped; when that changed the value or left more than 63
    /// characters, the first 53 characters, `-`, and the first 9 hex digits of the MD5 of the original.
    ///
    /// One departure keeps every result a valid label value: when nothing of the value survives (`"日本"`),
    /// Airflow's `-<hash>` would start with `-`; this returns the 9-digit hash alone.
    ///
    /// ```swift
    /// PodNaming.safeLabelValue("load_users")                              // "load_users"
    /// PodNaming.safeLabelValue("scheduled__2026-11-22T00:00:00+00:00")    // "scheduled__2026-11-22T000000000-<md5[:9]>"
    /// ```
    public static func safeLabelValue(_ value: String) -> String {
        var scalars = Array(value.unicodeScalars)
        while let first = scalars.first, !isAlphanumeric(first) { scalars.removeFirst() }
        while let last = scalars.last, !isAlphanumeric(last) { scalars.removeLast() }
        let kept = String(String.UnicodeScalarView(scalars.filter(isLabelCharacter)))
        if kept.unicodeScalars.elementsEqual(value.unicodeScalars), kept.utf8.count <= 63 { return kept }
        let hash = String(md5Hex(Array(value.utf8)).prefix(9))
        return kept.isEmpty ? hash : "\(kept.prefix(53))-\(hash)"
    }

    static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }

    static func isLabelCharacter(_ scalar: Unicode.Scalar) -> Bool {
        isAlphanumeric(scalar) || scalar == "-" || scalar == "_" || scalar == "."
    }

    /// The MD5 digest of `bytes` as 32 lower-case hex digits (RFC 1321; the hash Airflow's labels use).
    static func md5Hex(_ bytes: [UInt8]) -> String {
        var a0: UInt32 = 0x6745_2301
        var b0: UInt32 = 0xefcd_ab89
        var c0: UInt32 = 0x98ba_dcfe
        var d0: UInt32 = 0x1032_5476
        var message = bytes
        let bitLength = UInt64(bytes.count) &* 8
        message.append(0x80)
        while message.count % 64 != 56 { message.append(0) }
        for shift in stride(from: 0, to: 64, by: 8) { message.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        for chunk in stride(from: 0, to: message.count, by: 64) {
            var words = [UInt32](repeating: 0, count: 16)
            for index in 0..<16 {
                let base = chunk + index * 4
                words[index] = UInt32(message[base]) | UInt32(message[base + 1]) << 8 | UInt32(message[base + 2]) << 16
                    | UInt32(message[base + 3]) << 24
            }
            var a = a0, b = b0, c = c0, d = d0
            for step in 0..<64 {
                var f: UInt32
                let g: Int
                switch step {
                case 0..<16: f = (b & c) | (~b & d); g = step
                case 16..<32: f = (d & b) | (~d & c); g = (5 &* step &+ 1) % 16
                case 32..<48: f = b ^ c ^ d; g = (3 &* step &+ 5) % 16
                default: f = c ^ (b | ~d); g = (7 &* step) % 16
                }
                f = f &+ a &+ md5Constants[step] &+ words[g]
                a = d
                d = c
                c = b
                b = b &+ ((f << md5Shifts[step]) | (f >> (32 - md5Shifts[step])))
            }
            a0 = a0 &+ a
            b0 = b0 &+ b
            c0 = c0 &+ c
            d0 = d0 &+ d
        }
        var hex = ""
        for word in [a0, b0, c0, d0] {
            for shift in stride(from: 0, to: 32, by: 8) {
                let byte = UInt8(truncatingIfNeeded: word >> UInt32(shift))
                hex += String(byte >> 4, radix: 16) + String(byte & 0x0f, radix: 16)
            }
        }
        return hex
    }

    private static let md5Shifts: [UInt32] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
        4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ]

    /// `floor(abs(sin(i + 1)) × 2³²)`.
    private static let md5Constants: [UInt32] = (0..<64).map {
        UInt32(truncatingIfNeeded: Int64(abs(sin(Double($0 + 1))) * 4_294_967_296))
    }
}
