import Foundation
import Synchronization

/// A token read from a file, cached for a minute.
final class CachedTokenFile: Sendable {
    private struct Entry {
        var token: String
        var readAt: ContinuousClock.Instant
    }

    private let entry = Mutex<Entry?>(nil)
    static let refresh: Duration = .seconds(60)

    func value(path: String) throws -> String {
        let now = ContinuousClock.now
        if let cached = entry.withLock({ $0 }), now - cached.readAt < CachedTokenFile.refresh {
            return cached.token
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KubeConfigError("cannot read the token file \(path); check the mount or the kubeconfig's tokenFile")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        entry.withLock { $0 = Entry(token: token, readAt: now) }
        return token
    }

    func invalidate() {
        entry.withLock { $0 = nil }
    }
}
