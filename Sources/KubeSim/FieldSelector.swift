import JSON

/// A field selector (`status.phase=Running,spec.nodeName!=`), parsed like
/// `k8s.io/apimachinery/pkg/fields.ParseSelector` and restricted to the fields the API server supports for the
/// resource (Pods or Events).
struct FieldSelector: Sendable, Equatable {
    struct Requirement: Sendable, Equatable {
        var field: String
        var value: String
        var negated: Bool
    }

    var requirements: [Requirement]
    /// Whose fields the requirements name.
    var resource: APIResource = .pods

    static let everything = FieldSelector(requirements: [])

    init(requirements: [Requirement], resource: APIResource = .pods) {
        self.requirements = requirements
        self.resource = resource
    }

    /// - Throws: ``APIError`` 400 for a term without an operator or a field `resource` does not support.
    init(parsing text: String, for resource: APIResource = .pods) throws(APIError) {
        requirements = []
        self.resource = resource
        let fields = resource.selectableFields
        for term in Self.splitTerms(text) where !term.isEmpty {
            guard let (field, op, rawValue) = Self.splitTerm(term) else {
                throw APIError.badRequest("invalid selector: '\(text)'; can't understand '\(term)'")
            }
            guard fields[field] != nil else {
                throw APIError.badRequest("field label not supported: \(field)")
            }
            requirements.append(Requirement(field: field, value: Self.unescape(rawValue), negated: op == "!="))
        }
    }

    func matches(_ object: JSONValue) -> Bool {
        guard !requirements.isEmpty else { return true }
        let fields = resource.selectableFields
        return requirements.allSatisfy { requirement in
            let actual = fields[requirement.field]?(object) ?? ""
            return (actual == requirement.value) != requirement.negated
        }
    }

    /// Splits on commas not escaped by a backslash.
    private static func splitTerms(_ text: String) -> [String] {
        var terms: [String] = []
        var current = ""
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                current.append(character)
                escaped = true
            } else if character == "," {
                terms.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        terms.append(current)
        return terms
    }

    /// The field, the first operator from the left (`!=`, `==`, `=`), and the raw value.
    private static func splitTerm(_ term: String) -> (String, String, String)? {
        var index = term.startIndex
        while index < term.endIndex {
            for op in ["!=", "==", "="] where term[index...].hasPrefix(op) {
                let field = String(term[..<index])
                let value = String(term[term.index(index, offsetBy: op.count)...])
                return (field, op, value)
            }
            index = term.index(after: index)
        }
        return nil
    }

    private static func unescape(_ value: String) -> String {
        var result = ""
        var escaped = false
        for character in value {
            if escaped || character != "\\" {
                result.append(character)
                escaped = false
            } else {
                escaped = true
            }
        }
        return result
    }
}
