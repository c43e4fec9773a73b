#if canImport(NIOSSL) && canImport(NIOPosix) && canImport(NIOHTTP1) && canImport(NIOTLS)
import Foundation
import JSON
import KubeSim
import Testing

/// Runs a KubeSim with HTTPS; the client trusts its CA, presents its client certificate when asked, and sends
/// `headers` with every request.
func withSecureKubeSim(
    _ configuration: KubeSimConfiguration = fastConfiguration(),
    clientCertificate: Bool = false, headers: [(String, String)] = [],
    _ body: (KubeSim, SimClient) async throws -> Void
) async throws {
    var configuration = configuration
    configuration.tls = true
    let sim = KubeSim(configuration: configuration, logger: testLogger())
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await sim.run() }
        let port = try await sim.waitUntilListening()
        let authority = try #require(try await sim.certificateAuthorityPEM())
        let certificate = clientCertificate ? try await sim.clientCertificatePEM() : nil
        let transport = try NIOTransport(
            port: port, certificateAuthority: authority, clientCertificate: certificate)
        try await body(sim, SimClient(baseURL: "https://127.0.0.1:\(port)", headers: headers, transport: transport))
        group.cancelAll()
    }
}

@Suite("HTTPS and authentication")
struct HTTPSTests {
    static let unauthorized =
        #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","#
        + #""reason":"Unauthorized","code":401}"#

    @Test func httpsServesTheAPIAndTheKubeconfigCarriesTheCA() async throws {
        try await withSecureKubeSim { sim, client in
            let port = try await sim.waitUntilListening()
            #expect(await sim.baseURL == "https://127.0.0.1:\(port)")
            #expect(try await client.get("/version").json["gitVersion"] == "v1.37.0-kubesim")
            let watch = try client.watch("/api/v1/namespaces/default/pods?watch=true")
            defer { watch.cancel() }
            try await client.createPod("secure", annotations: ["kubesim.taskpod.io/log": "over tls"])
            #expect(try await watch.next()?[path: "object", "metadata", "name"] == "secure")
            _ = try await client.waitForPod("secure") { $0.phase == "Succeeded" }
            #expect(try await client.get("/api/v1/namespaces/default/pods/secure/log").text == "over tls\n")

            let kubeconfig = try await sim.kubeconfig()
            #expect(kubeconfig.contains("server: https://127.0.0.1:\(port)\n"))
            let line = try #require(kubeconfig.split(separator: "\n").first { $0.contains("certificate-authority-data:") })
            let data = try #require(Data(base64Encoded: String(line.split(separator: " ").last ?? "")))
            #expect(String(decoding: data, as: UTF8.self) == (try await sim.certificateAuthorityPEM()))
            // With TLS and no token, the issued client certificate, so that kubectl does not prompt for a user.
            #expect(kubeconfig.contains("client-certificate-data: "))
            #expect(kubeconfig.contains("client-key-data: "))
            // The issued certificates never show in descriptions.
            #expect(await sim.faults() == KubeSimFaults())
        }
    }

    @Test(arguments: [true, false])
    func alpnOffersHTTP2WhenEnabled(http2: Bool) async throws {
        try await withSecureKubeSim(fastConfiguration { $0.http2 = http2 }) { sim, client in
            let port = try await sim.waitUntilListening()
            let authority = try #require(try await sim.certificateAuthorityPEM())
            let offering = try NIOTransport(
                port: port, certificateAuthority: authority, applicationProtocols: ["h2", "http/1.1"])
            #expect(try await offering.negotiatedProtocol() == (http2 ? "h2" : "http/1.1"))
            // HTTP/1.1 clients are still served.
            #expect(try await client.get("/api/v1/namespaces/default/pods").status == 200)
        }
    }

    @Test func bearerTokensAreRequiredWhenConfigured() async throws {
        let configuration = fastConfiguration { $0.authentication.tokens = ["s3cret", "other"] }
        try await withSecureKubeSim(configuration) { sim, client in
            let anonymous = try await client.get("/api/v1/namespaces/default/pods")
            #expect(anonymous.status == 401)
            #expect(anonymous.text == Self.unauthorized)
            let wrong = try await client.request(
                "GET", "/api/v1/namespaces/default/pods", headers: [("Authorization", "Bearer nope")])
            #expect(wrong.status == 401)
            let right = try await client.request(
                "GET", "/api/v1/namespaces/default/pods", headers: [("Authorization", "Bearer s3cret")])
            #expect(right.status == 200)
            // Version and health are public, as with the default RBAC.
            #expect(try await client.get("/version").status == 200)
            #expect(try await client.get("/healthz").status == 200)
            // Refused requests are audited too.
            #expect(await sim.auditEntries().contains { $0["code"] == 401 && $0["verb"] == "list" })
            #expect(try await sim.kubeconfig().contains(#"token: "other""#))
            #expect(try await sim.kubeconfig(user: .anonymous).contains("user: {}"))
        }
    }

    @Test func clientCertificatesSignedByTheCAAuthenticate() async throws {
        let configuration = fastConfiguration { $0.authentication.clientCertificates = true }
        try await withSecureKubeSim(configuration, clientCertificate: true) { sim, client in
            #expect(try await client.get("/api/v1/namespaces/default/pods").status == 200)
            let port = try await sim.waitUntilListening()
            let authority = try #require(try await sim.certificateAuthorityPEM())
            let withoutCertificate = SimClient(
                baseURL: client.baseURL, transport: try NIOTransport(port: port, certificateAuthority: authority))
            #expect(try await withoutCertificate.get("/api/v1/namespaces/default/pods").status == 401)
            let kubeconfig = try await sim.kubeconfig()
            #expect(kubeconfig.contains("client-certificate-data: "))
            #expect(kubeconfig.contains("client-key-data: "))
            let pem = try #require(try await sim.clientCertificatePEM())
            #expect(pem.certificate.hasPrefix("-----BEGIN CERTIFICATE-----"))
            #expect(pem.privateKey.contains("PRIVATE KEY-----"))
        }
    }

    @Test func certificatesFromAnotherCAAreRefused() async throws {
        let configuration = fastConfiguration { $0.authentication.clientCertificates = true }
        try await withSecureKubeSim(configuration) { other, _ in
            let foreign = try #require(try await other.clientCertificatePEM())
            try await withSecureKubeSim(configuration) { sim, client in
                let port = try await sim.waitUntilListening()
                let authority = try #require(try await sim.certificateAuthorityPEM())
                let impostor = SimClient(
                    baseURL: client.baseURL,
                    transport: try NIOTransport(port: port, certificateAuthority: authority, clientCertificate: foreign))
                await #expect(throws: (any Error).self) { try await impostor.get("/api/v1/namespaces/default/pods") }
            }
        }
    }

    @Test func aTokenFileIsReReadWhenItChanges() async throws {
        let path = NSTemporaryDirectory() + "kubesim-tokens-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "# rotated by the test\nfirst-token\n".write(toFile: path, atomically: true, encoding: .utf8)
        // Over plain HTTP: authentication does not need TLS.
        try await withKubeSim(fastConfiguration { $0.authentication.tokenFile = path }) { sim, client in
            func status(_ token: String) async throws -> Int {
                try await client.request(
                    "GET", "/api/v1/namespaces/default/pods", headers: [("Authorization", "Bearer \(token)")]
                ).status
            }
            #expect(try await status("first-token") == 200)
            #expect(try await status("second-token") == 401)
            try "second-token\nthird\n".write(toFile: path, atomically: true, encoding: .utf8)
            #expect(try await status("first-token") == 401)
            #expect(try await status("second-token") == 200)
            #expect(try await sim.kubeconfig().contains("tokenFile: \"\(path)\""))
        }
    }

    @Test func faultsWorkOverHTTPS() async throws {
        try await withSecureKubeSim(fastConfiguration { $0.scheduleDelay = .seconds(60) }) { sim, client in
            try await client.createPod("one")
            let watch = try client.watch("/api/v1/namespaces/default/pods?watch=true")
            defer { watch.cancel() }
            #expect(try await watch.next()?.type == "ADDED")
            await sim.setFaults(KubeSimFaults(dropWatchesEvery: .milliseconds(100)))
            try await watch.waitUntilFinished(timeout: .seconds(10))
            #expect(watch.error != nil)

            // After a downtime the HTTPS listener is back on the same port, with the same certificates.
            await sim.setFaults(KubeSimFaults(downtime: .seconds(2)))
            var refused = false
            let down = ContinuousClock.now + .milliseconds(1800)
            while !refused, ContinuousClock.now < down {
                refused = (try? await client.get("/api/v1/namespaces/default/pods")) == nil
                if !refused { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(refused, "requests fail while the listener is down")
            let deadline = ContinuousClock.now + .seconds(20)
            while (try? await client.get("/api/v1/namespaces/default/pods/one"))?.status != 200 {
                try #require(ContinuousClock.now < deadline, "the HTTPS listener did not come back")
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    @Test func clientCertificatesNeedTLS() async throws {
        var configuration = fastConfiguration()
        configuration.authentication.clientCertificates = true
        let sim = KubeSim(configuration: configuration, logger: testLogger())
        let error = await #expect(throws: KubeSimError.self) { try await sim.run() }
        #expect(error?.code == .tlsSetupFailed)
        await #expect(throws: KubeSimError.self) { try await sim.waitUntilListening() }
    }
}
#endif
