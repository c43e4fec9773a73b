import Foundation
import Synchronization

/// Hands out what a request authenticates with: a bearer token and/or a client certificate.
///
/// Token files are re-read at most once a minute (they rotate); exec plugins run once for all concurrent
/// callers and their credential is kept until a little before it expires, or until a 401 says it is stale.
final class CredentialProvider: Sendable {
    struct Material: Sendable {
        var bearer: String?
        var clientCertificatePEM: [UInt8]?
        var clientKeyPEM: [UInt8]?
    }

    let credentials: KubeConfig.Credentials
    private let tokenFile = CachedTokenFile()
    private let exec = ExecCache()

    init(credentials: KubeConfig.Credentials) {
        self.credentials = credentials
    }

    func material() async throws -> Material {
        switch credentials {
        case .none, .clientCertificate:
            return Material()
        case .token(let token):
            return Material(bearer: token)
        case .tokenFile(let path):
            return Material(bearer: try tokenFile.value(path: path))
        case .exec(let plugin):
            let credential = try await exec.credential(plugin)
            return Material(bearer: credential.token, clientCertificatePEM: credential.clientCertificatePEM, clientKeyPEM: credential.clientKeyPEM)
        }
    }

    /// After a 401: forget cached credentials so the next request fetches fresh ones.
    func invalidate() async {
        tokenFile.invalidate()
        await exec.invalidate()
    }

    /// Whether a 401 may be cured by fetching credentials again.
    var canRefresh: Bool {
        switch credentials {
        case .tokenFile, .exec: true
        case .none, .token, .clientCertificate: false
        }
    }
}

/// One exec plugin run at a time; its credential is kept until 10 s before it expires.
actor ExecCache {
    private var cached: ExecPlugin.Credential?
    private var running: Task<ExecPlugin.Credential, any Error>?

    func credential(_ plugin: ExecPlugin) async throws -> ExecPlugin.Credential {
        if let cached, (cached.expires.map { $0.timeIntervalSinceNow > 10 } ?? true) { return cached }
        if let running { return try await running.value }
        // The plugin blocks while it runs: on a thread of its own, never on the cooperative pool.
        let task = Task {
            try await withCheckedThrowingContinuation { continuation in
                Thread { continuation.resume(with: Result { try plugin.run() }) }.start()
            }
        }
        running = task
        defer { running = nil }
        let credential = try await task.value
        cached = credential
        return credential
    }

    func invalidate() {
        cached = nil
    }
}
