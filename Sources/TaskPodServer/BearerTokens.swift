#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// The bearer tokens the API accepts: one per line of a file (blank lines and `#` comments ignored), read again
/// when the file changes (its inode, size or modification time, checked on each request with one `stat`), so a
/// rotated file takes effect at the next request without a restart.
final class BearerTokens: Sendable {
    private struct Snapshot {
        var identity: FileIdentity
        var tokens: [[UInt8]]
    }

    private struct FileIdentity: Equatable {
        var inode: UInt64
        var size: Int64
        var seconds: Int
        var nanoseconds: Int
    }

    let path: String
    private let snapshot = Mutex<Snapshot?>(nil)

    /// Reads the file once, so that a missing or empty file stops the server from starting.
    init(path: String) throws(ServerError) {
        self.path = path
        guard let tokens = try? current(), !tokens.isEmpty else {
            throw ServerError(
                .tokens,
                "--api-token-file \(path) cannot be read or holds no token; write one token per line (e.g. "
                    + "`openssl rand -hex 32 > \(path)`)"
            )
        }
    }

    /// True when `candidate` is one of the tokens. Compares in constant time for a candidate of a given length: every
    /// token is compared in full, whatever matched before.
    func accepts(_ candidate: Substring) -> Bool {
        guard let tokens = try? current() else { return false }
        let bytes = Array(candidate.utf8)
        var matched = false
        for token in tokens {
            // The length is compared as a whole, apart from the bytes: no prefix of a longer candidate matches.
            var difference: UInt8 = token.count == bytes.count ? 0 : 1
            for index in 0..<token.count {
                difference |= token[index] ^ (index < bytes.count ? bytes[index] : 0)
            }
            matched = matched || difference == 0
        }
        return matched
    }

    /// The tokens now: the cached ones while the file is unchanged.
    private func current() throws -> [[UInt8]] {
        var info = stat()
        guard stat(path, &info) == 0 else { throw CocoaError(.fileReadNoSuchFile) }
        #if canImport(Darwin)
        let modified = info.st_mtimespec
        #else
        let modified = info.st_mtim
        #endif
        let identity = FileIdentity(
            inode: UInt64(info.st_ino), size: Int64(info.st_size), seconds: Int(modified.tv_sec),
            nanoseconds: Int(modified.tv_nsec)
        )
        if let cached = snapshot.withLock({ $0 }), cached.identity == identity { return cached.tokens }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let tokens = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
            .map { Array($0.utf8) }
        snapshot.withLock { $0 = Snapshot(identity: identity, tokens: tokens) }
        return tokens
    }
}
