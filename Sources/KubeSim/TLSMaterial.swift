import Foundation

/// The throwaway PKI of one HTTPS KubeSim: a CA, a server certificate for the listen address, `127.0.0.1`, `::1`
/// and `localhost`, and a client certificate (`CN=kubesim-admin`, `O=system:masters`) signed by the CA. Made with
/// the `openssl` command line at start; the keys live only in memory afterwards.
///
/// Its `description` never shows a key.
struct TLSMaterial: Sendable, CustomStringConvertible {
    var certificateAuthorityPEM: String
    var serverCertificatePEM: String
    var serverKeyPEM: String
    var clientCertificatePEM: String
    var clientKeyPEM: String

    var description: String { "TLSMaterial(CA and server and client certificates, keys redacted)" }

    /// The user name in the issued client certificate.
    static let clientCommonName = "kubesim-admin"

    /// Runs `openssl` in a temporary folder (off the cooperative pool) and reads what it made.
    ///
    /// - Parameter host: The listen address, added to the server certificate's names.
    /// - Throws: ``KubeSimError`` `tlsSetupFailed` when `openssl` is missing or fails.
    static func generate(host: String) async throws(KubeSimError) -> TLSMaterial {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("kubesim-tls-\(UUID().uuidString.prefix(8))").path
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw KubeSimError(.tlsSetupFailed, "cannot create a temporary folder for the certificates: \(error)")
        }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var names = ["IP:127.0.0.1", "IP:::1", "DNS:localhost"]
        if !host.isEmpty, host != "0.0.0.0", host != "::" {
            let name = host.allSatisfy({ $0.isNumber || $0 == "." || $0 == ":" }) ? "IP:\(host)" : "DNS:\(host)"
            if !names.contains(name) { names.append(name) }
        }
        let script = Self.script(subjectAlternativeNames: names.joined(separator: ","))
        let (status, output) = await Self.run(["/bin/sh", "-c", script], in: directory)
        guard status == 0 else {
            let reason = status == 127 ? "the openssl command is not installed (apt-get install openssl)" : output
            throw KubeSimError(.tlsSetupFailed, "cannot make the HTTPS certificates with openssl: \(reason)")
        }
        func read(_ name: String) throws(KubeSimError) -> String {
            do {
                return try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
            } catch {
                throw KubeSimError(.tlsSetupFailed, "openssl did not write \(name)")
            }
        }
        return TLSMaterial(
            certificateAuthorityPEM: try read("ca.crt"), serverCertificatePEM: try read("server.crt"),
            serverKeyPEM: try read("server.key"), clientCertificatePEM: try read("client.crt"),
            clientKeyPEM: try read("client.key"))
    }

    /// One shell script for every step, so that there is one process to wait for.
    private static func script(subjectAlternativeNames: String) -> String {
        """
        set -e
        command -v openssl >/dev/null 2>&1 || exit 127
        key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
        serial() { echo "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \\n')"; }
        cat > ca.cnf <<'CNF'
        [req]
        distinguished_name = dn
        prompt = no
        [dn]
        CN = kubesim-ca
        [v3]
        basicConstraints = critical,CA:TRUE
        keyUsage = critical,keyCertSign,cRLSign,digitalSignature
        subjectKeyIdentifier = hash
        CNF
        cat > server.ext <<CNF
        basicConstraints = critical,CA:FALSE
        keyUsage = critical,digitalSignature,keyEncipherment
        extendedKeyUsage = serverAuth
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid,issuer
        subjectAltName = \(subjectAlternativeNames)
        CNF
        cat > client.ext <<'CNF'
        basicConstraints = critical,CA:FALSE
        keyUsage = critical,digitalSignature,keyEncipherment
        extendedKeyUsage = clientAuth
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid,issuer
        CNF
        key ca.key
        openssl req -x509 -new -key ca.key -sha256 -days 3650 -config ca.cnf -extensions v3 -set_serial "$(serial)" \\
            -out ca.crt
        key server.key
        openssl req -new -key server.key -subj "/CN=kubesim" -out server.csr
        openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -set_serial "$(serial)" -days 825 -sha256 \\
            -extfile server.ext -out server.crt 2>/dev/null
        key client.key
        openssl req -new -key client.key -subj "/O=system:masters/CN=\(clientCommonName)" -out client.csr
        openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -set_serial "$(serial)" -days 825 -sha256 \\
            -extfile client.ext -out client.crt 2>/dev/null
        """
    }

    /// Runs a command to its end without blocking a thread of the cooperative pool: the exit status and what it
    /// wrote to standard error (at most 4 KiB).
    private static func run(_ arguments: [String], in directory: String) async -> (Int32, String) {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: arguments[0])
                process.arguments = Array(arguments.dropFirst())
                process.currentDirectoryURL = URL(fileURLWithPath: directory)
                let errors = Pipe()
                process.standardError = errors
                process.standardOutput = FileHandle.nullDevice
                do {
                    try process.run()
                } catch {
                    continuation.resume(returning: (127, "\(error)"))
                    return
                }
                let output = errors.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                let text = String(decoding: output.prefix(4096), as: UTF8.self)
                continuation.resume(returning: (process.terminationStatus, text))
            }
        }
    }
}
