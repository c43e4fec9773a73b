import Foundation

/// Wall-clock time as the store records it: seconds since 1970.
enum WallClock {
    static func now() -> Double { Date().timeIntervalSince1970 }
}
