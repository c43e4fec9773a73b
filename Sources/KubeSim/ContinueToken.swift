import Foundation
import JSON

/// A list's `continue` token, in the API server's format: unpadded base64url of
/// `{"v":"meta.k8s.io/v1","rv":<snapshot resourceVersion>,"start":"<key after the last item>\u0000"}`, where the key
/// is the Pod's name in a namespaced list and `namespace/name` across namespaces. Clients treat it as opaque.
struct ContinueToken: Sendable, Equatable {
    static let version = "meta.k8s.io/v1"

    /// The resourceVersion of the snapshot every page is read from.
    var resourceVersion: Int64
    /// The last item of the previous page: the next page starts after it.
    var after: PodKey

    /// The token text for a list of `namespace` (`nil`: all namespaces).
    func encoded(namespace: String?) -> String {
        let start = (namespace == nil ? "\(after.namespace)/\(after.name)" : after.name) + "\u{0}"
        let object: JSONValue = [
            "v": .string(Self.version), "rv": .int(resourceVersion), "start": .string(start),
        ]
        return Data(object.jsonBytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes a token received for a list of `namespace`.
    ///
    /// - Throws: ``APIError`` 400 `BadRequest` with the API server's messages for a token that is not one.
    init(decoding text: String, namespace: String?) throws(APIError) {
        func invalid(_ reason: String) -> APIError {
            APIError.badRequest("invalid continue token: continue key is not valid: \(reason)")
        }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        if base64.count % 4 != 0 { base64 += String(repeating: "=", count: 4 - base64.count % 4) }
        guard let data = Data(base64Encoded: base64) else {
            throw invalid("illegal base64 data at input byte 0")
        }
        guard let object = try? JSONValue(parsing: Array(data)), case .object = object else {
            throw invalid("invalid character looking for beginning of value")
        }
        guard object["v"]?.stringValue == Self.version else {
            throw invalid("server does not recognize this encoded version")
        }
        guard let version = object["rv"]?.intValue, version > 0 else {
            throw invalid("incorrect encoded start resourceVersion (version \(Self.version))")
        }
        guard var start = object["start"]?.stringValue, !start.isEmpty else {
            throw invalid("encoded start key empty (version \(Self.version))")
        }
        if start.hasSuffix("\u{0}") { start.removeLast() }
        if let namespace {
            guard !start.contains("/"), !start.isEmpty else { throw invalid("continue key is invalid") }
            after = PodKey(namespace: namespace, name: start)
        } else {
            let parts = start.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw invalid("continue key is invalid") }
            after = PodKey(namespace: String(parts[0]), name: String(parts[1]))
        }
        resourceVersion = version
    }

    init(resourceVersion: Int64, after: PodKey) {
        self.resourceVersion = resourceVersion
        self.after = after
    }
}
