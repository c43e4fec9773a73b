import KubeSimTestKit
import TestSupport
/// A seeded random number generator (SplitMix64): the same seed makes the same chaos scenario, so a failing run can
/// be planned again with its seed.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A generator for one concern of the run (the tasks, the kills, the faults), so that changing how many numbers
    /// one of them draws does not change the others.
    public static func derived(from seed: UInt64, _ concern: String) -> SeededRandom {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in concern.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return SeededRandom(seed: seed ^ hash)
    }

    /// A random seed for a run that was given none.
    public static func freshSeed() -> UInt64 {
        UInt64.random(in: 1...UInt64(Int64.max))
    }
}
