/// A label selector in the API's string form (`app=web,tier!=db,env in (a,b),!legacy`), parsed like
/// `k8s.io/apimachinery/pkg/labels.Parse`: the same operators, the same lexer, the same error texts.
struct LabelSelector: Sendable, Equatable {
    enum Operator: Sendable, Equatable {
        case equals, notEquals, `in`, notIn, exists, doesNotExist, greaterThan, lessThan
    }

    struct Requirement: Sendable, Equatable {
        var key: String
        var `operator`: Operator
        var values: [String]

        func matches(_ labels: [String: String]) -> Bool {
            let value = labels[key]
            switch `operator` {
            case .equals, .in: return value.map(values.contains) ?? false
            case .notEquals, .notIn: return value.map { !values.contains($0) } ?? true
            case .exists: return value != nil
            case .doesNotExist: return value == nil
            case .greaterThan, .lessThan:
                guard let value, let number = Int64(value), let bound = values.first.flatMap({ Int64($0) }) else {
                    return false
                }
                return `operator` == .greaterThan ? number > bound : number < bound
            }
        }
    }

    /// Every requirement must match (the comma is AND). Empty matches everything.
    var requirements: [Requirement]

    static let everything = LabelSelector(requirements: [])

    init(requirements: [Requirement]) {
        self.requirements = requirements
    }

    /// Parses a selector; an empty or all-space string selects everything.
    ///
    /// - Throws: ``APIError`` 400 BadRequest with the parser's message.
    init(parsing text: String) throws(APIError) {
        var parser = Parser(tokens: Lexer.tokens(of: text))
        requirements = try parser.parse()
    }

    func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { $0.matches(labels) }
    }
}

extension LabelSelector {
    enum Token: Equatable {
        case identifier(String)
        case doesNotExist, equals, doubleEquals, notEquals, greaterThan, lessThan
        case `in`, notIn, comma, openParenthesis, closeParenthesis
        case endOfString
        case error(String)

        var text: String {
            switch self {
            case .identifier(let text), .error(let text): text
            case .doesNotExist: "!"
            case .equals: "="
            case .doubleEquals: "=="
            case .notEquals: "!="
            case .greaterThan: ">"
            case .lessThan: "<"
            case .in: "in"
            case .notIn: "notin"
            case .comma: ","
            case .openParenthesis: "("
            case .closeParenthesis: ")"
            case .endOfString: ""
            }
        }
    }

    enum Lexer {
        private static let special: Set<Character> = ["!", "=", ">", "<", "(", ")", ","]

        static func tokens(of text: String) -> [Token] {
            var tokens: [Token] = []
            var index = text.startIndex
            while index < text.endIndex {
                let character = text[index]
                if character.isWhitespace {
                    index = text.index(after: index)
                } else if special.contains(character) {
                    var end = text.index(after: index)
                    while end < text.endIndex, special.contains(text[end]),
                        operatorToken(String(text[index...end])) != nil
                    {
                        end = text.index(after: end)
                    }
                    let lexeme = String(text[index..<end])
                    tokens.append(operatorToken(lexeme) ?? .error("error: unexpected character \(lexeme)"))
                    index = end
                } else {
                    var end = index
                    while end < text.endIndex, !text[end].isWhitespace, !special.contains(text[end]) {
                        end = text.index(after: end)
                    }
                    let word = String(text[index..<end])
                    tokens.append(word == "in" ? .in : word == "notin" ? .notIn : .identifier(word))
                    index = end
                }
            }
            tokens.append(.endOfString)
            return tokens
        }

        private static func operatorToken(_ lexeme: String) -> Token? {
            switch lexeme {
            case "!": .doesNotExist
            case "=": .equals
            case "==": .doubleEquals
            case "!=": .notEquals
            case ">": .greaterThan
            case "<": .lessThan
            case ",": .comma
            case "(": .openParenthesis
            case ")": .closeParenthesis
            default: nil
            }
        }
    }

    struct Parser {
        var tokens: [Token]
        var position = 0

        func lookahead() -> Token { tokens[min(position, tokens.count - 1)] }

        mutating func consume() -> Token {
            let token = lookahead()
            position += 1
            return token
        }

        static func unexpected(_ token: Token, _ expected: String) -> APIError {
            if case .error(let message) = token { return APIError.badRequest(message) }
            return APIError.badRequest("found '\(token.text)', expected: \(expected)")
        }

        mutating func parse() throws(APIError) -> [Requirement] {
            var requirements: [Requirement] = []
            while true {
                switch lookahead() {
                case .identifier, .doesNotExist:
                    requirements.append(try parseRequirement())
                    let token = consume()
                    switch token {
                    case .endOfString:
                        return requirements
                    case .comma:
                        switch lookahead() {
                        case .identifier, .doesNotExist: continue
                        default: throw Self.unexpected(lookahead(), "identifier after ','")
                        }
                    default:
                        throw Self.unexpected(token, "',' or 'end of string'")
                    }
                case .endOfString:
                    return requirements
                default:
                    throw Self.unexpected(lookahead(), "!, identifier, or 'end of string'")
                }
            }
        }

        mutating func parseRequirement() throws(APIError) -> Requirement {
            var negated = false
            if lookahead() == .doesNotExist {
                _ = consume()
                negated = true
            }
            let keyToken = consume()
            guard case .identifier(let key) = keyToken else { throw Self.unexpected(keyToken, "identifier") }
            try LabelSelector.validateKey(key)
            if negated { return Requirement(key: key, operator: .doesNotExist, values: []) }
            switch lookahead() {
            case .endOfString, .comma: return Requirement(key: key, operator: .exists, values: [])
            default: break
            }
            let operatorToken = consume()
            let op: Operator
            switch operatorToken {
            case .equals, .doubleEquals: op = .equals
            case .notEquals: op = .notEquals
            case .in: op = .in
            case .notIn: op = .notIn
            case .greaterThan: op = .greaterThan
            case .lessThan: op = .lessThan
            default: throw Self.unexpected(operatorToken, "[!= < = == > in notin]")
            }
            let values: [String]
            switch op {
            case .in, .notIn: values = try parseValueSet()
            default: values = [try parseExactValue()]
            }
            for (index, value) in values.enumerated() {
                try LabelSelector.validateValue(value, index: index, key: key)
            }
            if op == .greaterThan || op == .lessThan, Int64(values[0]) == nil {
                throw APIError.badRequest(
                    "unable to parse requirement: values[0]: Invalid value: \(values[0].quoted): "
                        + "for 'Gt', 'Lt' operators, the value must be an integer")
            }
            return Requirement(key: key, operator: op, values: values)
        }

        /// In value position `in` and `notin` are plain words.
        static func value(of token: Token) -> String? {
            switch token {
            case .identifier(let text): text
            case .in: "in"
            case .notIn: "notin"
            default: nil
            }
        }

        mutating func parseExactValue() throws(APIError) -> String {
            switch lookahead() {
            case .endOfString, .comma: return ""
            default: break
            }
            let token = consume()
            guard let value = Self.value(of: token) else { throw Self.unexpected(token, "identifier") }
            return value
        }

        mutating func parseValueSet() throws(APIError) -> [String] {
            let open = consume()
            guard open == .openParenthesis else { throw Self.unexpected(open, "'('") }
            if lookahead() == .closeParenthesis {
                _ = consume()
                return [""]
            }
            var values: [String] = []
            while true {
                let token = consume()
                if let value = Self.value(of: token) {
                    values.append(value)
                    switch lookahead() {
                    case .comma: continue
                    case .closeParenthesis:
                        _ = consume()
                        return values
                    default: throw Self.unexpected(lookahead(), "',' or ')'")
                    }
                } else if token == .comma {
                    if values.isEmpty { values.append("") }
                    if lookahead() == .closeParenthesis {
                        _ = consume()
                        values.append("")
                        return values
                    }
                    if lookahead() == .comma {
                        _ = consume()
                        values.append("")
                    }
                } else {
                    throw Self.unexpected(token, "',', or identifier")
                }
            }
        }
    }

    private static let labelMessage =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
        + "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
        + "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

    private static let nameMessage =
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
        + "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
        + "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"

    /// A label key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters.
    static func validateKey(_ key: String) throws(APIError) {
        let parts = key.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let name = parts.count == 2 ? parts[1] : parts[0]
        var problems: [String] = []
        if parts.count == 2, !Validation.isDNS1123Subdomain(String(parts[0])) {
            problems.append("prefix part " + Validation.dns1123SubdomainMessage)
        }
        if name.isEmpty {
            problems.append("name part must be non-empty")
        } else if name.count > 63 {
            problems.append("name part must be no more than 63 characters")
        } else if !isLabelValue(name) {
            problems.append(nameMessage)
        }
        if !problems.isEmpty {
            throw APIError.badRequest(
                "unable to parse requirement: key: Invalid value: \(key.quoted): " + problems.joined(separator: "; "))
        }
    }

    static func validateValue(_ value: String, index: Int, key: String) throws(APIError) {
        guard value.count > 63 || !(value.isEmpty || isLabelValue(Substring(value))) else { return }
        let detail = value.count > 63 ? "must be no more than 63 characters" : labelMessage
        throw APIError.badRequest(
            "unable to parse requirement: values[\(index)][\(key)]: Invalid value: \(value.quoted): \(detail)")
    }

    /// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`
    static func isLabelValue(_ text: Substring) -> Bool {
        guard let first = text.utf8.first, let last = text.utf8.last,
            Validation.isAlphanumeric(first), Validation.isAlphanumeric(last)
        else { return false }
        return text.utf8.allSatisfy {
            Validation.isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_")
                || $0 == UInt8(ascii: ".")
        }
    }
}
