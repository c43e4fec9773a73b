/// The API server's name rules (`k8s.io/apimachinery/pkg/util/validation`), with its messages.
enum Validation {
    static let dns1123SubdomainMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
        + "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
        + "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"

    static let dns1123LabelMessage =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
        + "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
        + "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, without the length limit.
    static func matchesDNS1123Label(_ text: Substring) -> Bool {
        guard let first = text.utf8.first, let last = text.utf8.last, isLowerAlphanumeric(first),
            isLowerAlphanumeric(last)
        else { return false }
        return text.utf8.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    /// A DNS-1123 subdomain: dot-separated labels, at most 253 characters.
    static func isDNS1123Subdomain(_ text: String) -> Bool {
        text.utf8.count <= 253 && matchesDNS1123Subdomain(text)
    }

    static func matchesDNS1123Subdomain(_ text: String) -> Bool {
        !text.isEmpty && text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(matchesDNS1123Label)
    }

    /// The problems with `name` as a DNS-1123 subdomain (empty when it is one).
    static func dns1123SubdomainProblems(_ name: String) -> [String] {
        var problems: [String] = []
        if name.utf8.count > 253 { problems.append("must be no more than 253 characters") }
        if !matchesDNS1123Subdomain(name) { problems.append(dns1123SubdomainMessage) }
        return problems
    }

    /// The problems with `name` as a DNS-1123 label (empty when it is one).
    static func dns1123LabelProblems(_ name: String) -> [String] {
        var problems: [String] = []
        if name.utf8.count > 63 { problems.append("must be no more than 63 characters") }
        if !matchesDNS1123Label(Substring(name)) { problems.append(dns1123LabelMessage) }
        return problems
    }
}
