/// An HTTP request for the libcurl transport. Bodies and header values are copied into the transfer.
public struct HTTPRequest: Sendable {
    public enum Method: String, Sendable {
        case get = "GET", post = "POST", put = "PUT", patch = "PATCH", delete = "DELETE"
    }

    public var method: Method
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    /// The whole transfer's time limit; nil for watches and followed logs, which end by `timeoutSeconds`.
    public var timeout: Duration?
    public var tls: TLSOptions
    /// An HTTP(S) or SOCKS proxy URL.
    public var proxy: String?
    /// libcurl's CONNECT_TO entry (`host:port:connect-host:connect-port`), to check the certificate against a
    /// name other than the address connected to.
    public var connectTo: String?

    public init(
        method: Method,
        url: String,
        headers: [(name: String, value: String)] = [],
        body: [UInt8]? = nil,
        timeout: Duration? = .seconds(30),
        tls: TLSOptions = TLSOptions()
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.tls = tls
    }
}

/// TLS settings of a request: the cluster CA and the client's certificate, from kubeconfig or in-cluster files.
///
/// Certificates and keys are held as PEM bytes and handed to libcurl as blobs; they never appear in a description.
public struct TLSOptions: Sendable, Hashable, CustomStringConvertible {
    /// PEM bundle of CAs to trust; the system store when nil and `caFile` is nil.
    public var caPEM: [UInt8]?
    public var caFile: String?
    public var clientCertificatePEM: [UInt8]?
    public var clientKeyPEM: [UInt8]?
    /// Off only when a kubeconfig says `insecure-skip-tls-verify: true`.
    public var verifyPeer: Bool = true
    /// The name to check the server's certificate against, when it differs from the URL's host.
    public var serverName: String?

    public init(
        caPEM: [UInt8]? = nil,
        caFile: String? = nil,
        clientCertificatePEM: [UInt8]? = nil,
        clientKeyPEM: [UInt8]? = nil,
        verifyPeer: Bool = true,
        serverName: String? = nil
    ) {
        self.caPEM = caPEM
        self.caFile = caFile
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
        self.verifyPeer = verifyPeer
        self.serverName = serverName
    }

    public var description: String {
        let ca = caPEM != nil ? "inline CA" : caFile.map { "CA file \($0)" } ?? "system CAs"
        let client = clientCertificatePEM != nil ? ", client certificate" : ""
        return "TLS(\(ca)\(client)\(verifyPeer ? "" : ", verification OFF"))"
    }
}

/// The status line and headers of a response.
public struct HTTPResponseHead: Sendable {
    public var status: Int
    /// Header names lower-cased.
    public var headers: [(name: String, value: String)]

    public init(status: Int, headers: [(name: String, value: String)]) {
        self.status = status
        self.headers = headers
    }

    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name == lower }?.value
    }
}

/// A whole response, body collected.
public struct HTTPResponse: Sendable {
    public var head: HTTPResponseHead
    public var body: [UInt8]

    public var status: Int { head.status }
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}
