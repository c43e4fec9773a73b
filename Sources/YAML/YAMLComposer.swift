import JSON

/// Builds JSON values from libyaml events: types scalars, honours core tags, expands aliases and merge keys,
/// and refuses duplicate and non-scalar keys.
///
/// Not `Sendable`: it drives a ``YAMLEventParser`` on the caller's thread.
struct YAMLComposer {
    /// The most nodes that aliases may expand to, over one stream: beyond it the text is an alias bomb.
    static let maxAliasExpansion = 1_000_000
    /// The deepest nesting of collections accepted.
    static let maxDepth = 512

    /// A composed node: its value, and for scalars the text a mapping key takes from it.
    private struct Node {
        var value: JSONValue
        var keyText: String?
        var isMergeKey = false
    }

    private struct Anchored {
        var node: Node
        var size: Int
    }

    /// The sources of a mapping's `<<` key, inserted where it stood (before the explicit key at `position`).
    private struct Merge {
        var position: Int
        var sources: [JSONObject]
    }

    private let parser: YAMLEventParser
    private var anchors: [String: Anchored] = [:]
    private var nodeCount = 0
    private var aliasExpansion = 0
    private var started = false
    /// Where each key of the document's top-level mapping was written, when the document is a mapping.
    private(set) var topLevelKeys: [String: YAMLMark] = [:]

    init(text: String) throws(YAMLError) {
        parser = try YAMLEventParser(text: text)
    }

    /// The next document of the stream with the position it starts at, or `nil` after the last one.
    mutating func nextDocument() throws(YAMLError) -> (value: JSONValue, start: YAMLMark)? {
        if !started {
            started = true
            let event = try parser.next()
            guard case .streamStart = event.kind else {
                throw YAMLError("expected the start of a stream", at: event.start)
            }
        }
        let event = try parser.next()
        switch event.kind {
        case .streamEnd:
            return nil
        case .documentStart:
            anchors = [:]
            topLevelKeys = [:]
            let node = try compose(try parser.next(), depth: 0)
            let end = try parser.next()
            guard case .documentEnd = end.kind else { throw YAMLError("expected the end of a document", at: end.start) }
            return (node.value, event.start)
        default:
            throw YAMLError("expected a document", at: event.start)
        }
    }

    private mutating func compose(_ event: YAMLEvent, depth: Int) throws(YAMLError) -> Node {
        let before = nodeCount
        nodeCount += 1
        let node: Node
        let anchor: String?
        switch event.kind {
        case .alias(let name):
            guard let anchored = anchors[name] else { throw YAMLError("unknown alias \"\(name)\"", at: event.start) }
            aliasExpansion += anchored.size
            nodeCount += anchored.size - 1
            guard aliasExpansion <= Self.maxAliasExpansion else {
                throw YAMLError("aliases expand to more than \(Self.maxAliasExpansion) nodes", at: event.start)
            }
            return anchored.node
        case .scalar(let scalar):
            node = try composeScalar(scalar, at: event.start)
            anchor = scalar.anchor
        case .sequenceStart(let sequenceAnchor, let tag):
            try checkCollectionTag(tag, expected: "seq", at: event.start)
            node = Node(value: try composeSequence(at: event.start, depth: depth + 1))
            anchor = sequenceAnchor
        case .mappingStart(let mappingAnchor, let tag):
            try checkCollectionTag(tag, expected: "map", at: event.start)
            node = Node(value: try composeMapping(at: event.start, depth: depth + 1))
            anchor = mappingAnchor
        default:
            throw YAMLError("expected a node", at: event.start)
        }
        if let anchor { anchors[anchor] = Anchored(node: node, size: nodeCount - before) }
        return node
    }

    private mutating func composeSequence(at start: YAMLMark, depth: Int) throws(YAMLError) -> JSONValue {
        guard depth <= Self.maxDepth else { throw YAMLError("nesting deeper than \(Self.maxDepth)", at: start) }
        var values: [JSONValue] = []
        while true {
            let event = try parser.next()
            if case .sequenceEnd = event.kind { return .array(values) }
            values.append(try compose(event, depth: depth).value)
        }
    }

    private mutating func composeMapping(at start: YAMLMark, depth: Int) throws(YAMLError) -> JSONValue {
        guard depth <= Self.maxDepth else { throw YAMLError("nesting deeper than \(Self.maxDepth)", at: start) }
        var object = JSONObject()
        var merge: Merge?
        while true {
            let keyEvent = try parser.next()
            if case .mappingEnd = keyEvent.kind { break }
            let key = try compose(keyEvent, depth: depth)
            guard let keyText = key.keyText else {
                let kind = Self.kind(of: key.value)
                throw YAMLError("a mapping key must be a scalar, found a \(kind)", at: keyEvent.start)
            }
            let valueEvent = try parser.next()
            let value = try compose(valueEvent, depth: depth).value
            if key.isMergeKey {
                guard merge == nil else { throw YAMLError("duplicate key \"\(keyText)\"", at: keyEvent.start) }
                merge = Merge(position: object.count, sources: try mergeSources(value, at: valueEvent.start))
                continue
            }
            guard object[keyText] == nil else { throw YAMLError("duplicate key \"\(keyText)\"", at: keyEvent.start) }
            object[keyText] = value
            if depth == 1 { topLevelKeys[keyText] = keyEvent.start }
        }
        guard let merge else { return .object(object) }
        return .object(Self.merged(object, merge))
    }

    /// The mappings a `<<` value merges: one mapping, or a list of mappings (earlier ones win).
    private func mergeSources(_ value: JSONValue, at mark: YAMLMark) throws(YAMLError) -> [JSONObject] {
        switch value {
        case .object(let object):
            return [object]
        case .array(let values):
            var sources: [JSONObject] = []
            for value in values {
                guard case .object(let object) = value else {
                    let kind = Self.kind(of: value)
                    throw YAMLError("a merge key (<<) list may hold only mappings, found a \(kind)", at: mark)
                }
                sources.append(object)
            }
            return sources
        default:
            let kind = Self.kind(of: value)
            throw YAMLError("a merge key (<<) takes a mapping or a list of mappings, found a \(kind)", at: mark)
        }
    }

    /// `explicit` with the merged keys inserted where the `<<` stood; explicit keys win, then earlier sources.
    private static func merged(_ explicit: JSONObject, _ merge: Merge) -> JSONObject {
        var result = JSONObject()
        for (position, key) in explicit.keys.enumerated() {
            if position == merge.position { insert(merge, into: &result, unlessIn: explicit) }
            result[key] = explicit[key]
        }
        if merge.position >= explicit.count { insert(merge, into: &result, unlessIn: explicit) }
        return result
    }

    private static func insert(_ merge: Merge, into result: inout JSONObject, unlessIn explicit: JSONObject) {
        for source in merge.sources {
            for (key, value) in source where explicit[key] == nil && result[key] == nil {
                result[key] = value
            }
        }
    }

    private func composeScalar(_ scalar: YAMLEvent.Scalar, at mark: YAMLMark) throws(YAMLError) -> Node {
        let text = scalar.value
        guard let tag = scalar.tag else {
            if scalar.style == .plain {
                return Node(value: YAML.resolvePlain(text), keyText: text, isMergeKey: text == "<<")
            }
            return Node(value: .string(text), keyText: text)
        }
        let value: JSONValue
        switch tag {
        case Self.strTag, "!":
            value = .string(text)
        case Self.intTag:
            guard let int = YAML.int(text) else { throw YAMLError("a scalar tagged !!int is not an integer", at: mark) }
            value = int
        case Self.floatTag:
            switch YAML.int(text) ?? YAML.float(text) {
            case .int(let int): value = .double(Double(int))
            case .double(let double): value = .double(double)
            default: throw YAMLError("a scalar tagged !!float is not a number", at: mark)
            }
        case Self.boolTag:
            guard let bool = YAML.bool(text) else {
                throw YAMLError("a scalar tagged !!bool is not a boolean", at: mark)
            }
            value = .bool(bool)
        case Self.nullTag:
            guard YAML.isNull(text) else { throw YAMLError("a scalar tagged !!null is not null", at: mark) }
            value = .null
        case Self.mergeTag:
            return Node(value: .string(text), keyText: text, isMergeKey: true)
        case Self.mapTag, Self.seqTag:
            throw YAMLError("a scalar cannot be tagged !!\(tag.dropFirst(Self.corePrefix.count))", at: mark)
        default:
            // Other tags are ignored: the scalar keeps the value it has without one.
            value = scalar.style == .plain ? YAML.resolvePlain(text) : .string(text)
        }
        return Node(value: value, keyText: text)
    }

    /// Refuses a core tag that names another kind on a collection (`!!str [a]`); other tags are ignored.
    private func checkCollectionTag(_ tag: String?, expected: String, at mark: YAMLMark) throws(YAMLError) {
        guard let tag, tag.hasPrefix(Self.corePrefix), tag != Self.corePrefix + expected else { return }
        let name = tag.dropFirst(Self.corePrefix.count)
        let kind = expected == "map" ? "mapping" : "sequence"
        switch name {
        case "str", "int", "float", "bool", "null", "map", "seq":
            throw YAMLError("a \(kind) cannot be tagged !!\(name)", at: mark)
        default:
            break
        }
    }

    /// The YAML name of a value's kind, for error messages.
    private static func kind(of value: JSONValue) -> String {
        switch value {
        case .array: "sequence"
        case .object: "mapping"
        default: "scalar"
        }
    }

    private static let corePrefix = "tag:yaml.org,2002:"
    private static let strTag = corePrefix + "str"
    private static let intTag = corePrefix + "int"
    private static let floatTag = corePrefix + "float"
    private static let boolTag = corePrefix + "bool"
    private static let nullTag = corePrefix + "null"
    private static let mergeTag = corePrefix + "merge"
    private static let mapTag = corePrefix + "map"
    private static let seqTag = corePrefix + "seq"
}
