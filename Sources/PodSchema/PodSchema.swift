import JSON

/// What Kubernetes knows of a Pod: every field of every type reachable from `v1.Pod`, its value type, whether
/// it may be null, and how `kubectl patch --type strategic` merges it (patch strategy and merge key).
///
/// The knowledge is generated from Kubernetes' own schema (see `scripts/gen-pod-schema.py`) into
/// `PodSchema+Table.swift`; this type reads that table once. Strategic merge (``StrategicMerge``) and
/// validation (``PodSchema/validate(_:asPartial:)``) are driven by it.
///
/// ```swift
/// let containers = PodSchema.field("containers", of: "PodSpec")
/// containers?.mergeKey            // "name"
/// containers?.patchStrategy       // [.merge]
/// ```
public enum PodSchema {
    /// The kind of value a field holds.
    public indirect enum ValueType: Sendable, Hashable, CustomStringConvertible {
        case string
        /// An integer of `bits` (32 or 64) bits.
        case integer(bits: Int)
        case number
        case boolean
        /// A `resource.Quantity`: a string such as `500m` or `1.5Gi`, or a number.
        case quantity
        /// An `IntOrString`: an integer or a string (ports by number or name, percentages).
        case intOrString
        /// A date-time string (`metav1.Time`).
        case time
        /// Base64-encoded bytes, as a string.
        case bytes
        /// Any JSON object (`FieldsV1`).
        case freeform
        /// An object of the named type (see ``PodSchema/type(named:)``).
        case object(String)
        /// A list of values.
        case list(ValueType)
        /// A map from string keys to values; `valueNullable` tells whether a value may be `null`.
        case map(ValueType, valueNullable: Bool)

        public var description: String {
            switch self {
            case .string: "a string"
            case .integer: "an integer"
            case .number: "a number"
            case .boolean: "a boolean (true or false)"
            case .quantity: "a quantity (a string such as \"500m\" or \"1.5Gi\", or a number)"
            case .intOrString: "an integer or a string"
            case .time: "a date-time string (RFC 3339)"
            case .bytes: "a base64 string"
            case .freeform: "an object"
            case .object(let name): "an object (\(name))"
            case .list(let element): "a list of \(element.shortDescription)"
            case .map(let value, _): "a map of string to \(value.shortDescription)"
            }
        }

        var shortDescription: String {
            switch self {
            case .object(let name): name
            case .list(let element): "lists of \(element.shortDescription)"
            case .map: "maps"
            case .quantity: "quantities"
            case .intOrString: "integers or strings"
            case .integer: "integers"
            case .boolean: "booleans"
            case .number: "numbers"
            default: "strings"
            }
        }
    }

    /// How strategic merge patch treats a field (`x-kubernetes-patch-strategy`).
    public struct PatchStrategy: OptionSet, Sendable, Hashable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        /// Lists are merged element by element (by ``Field/mergeKey``, or as a set for scalars).
        public static let merge = PatchStrategy(rawValue: 1)
        /// A `$retainKeys` directive clears the keys it does not list.
        public static let retainKeys = PatchStrategy(rawValue: 2)
        /// The value is replaced as a whole.
        public static let replace = PatchStrategy(rawValue: 4)
    }

    /// One field of an object type.
    public struct Field: Sendable, Hashable {
        public var name: String
        public var type: ValueType
        /// Whether the schema allows `null` for the field.
        public var nullable: Bool
        public var patchStrategy: PatchStrategy
        /// The key that identifies list elements when the list is merged (`name`, `mountPath`, `containerPort`…).
        public var mergeKey: String?
        /// The only values the field may take, when the schema says so (`kind: Pod`).
        public var allowedValues: [String]?
    }

    /// An object type: its fields and which of them are required.
    public struct ObjectType: Sendable, Hashable {
        public var name: String
        /// Fields in schema order.
        public var fields: [Field]
        public var required: [String]
        let index: [String: Int]

        /// The field called `name`, if the type has one.
        public func field(_ name: String) -> Field? {
            index[name].map { fields[$0] }
        }
    }

    /// The name of the root type.
    public static let podTypeName = "Pod"

    /// Every object type reachable from a Pod, by short name (`Pod`, `PodSpec`, `Container`, `EnvVar`…).
    public static let types: [String: ObjectType] = parseTable(table)

    /// The type named `name`.
    public static func type(named name: String) -> ObjectType? { types[name] }

    /// The field `name` of the type `typeName`.
    public static func field(_ name: String, of typeName: String) -> Field? { types[typeName]?.field(name) }

    static func parseTable(_ text: String) -> [String: ObjectType] {
        var result: [String: ObjectType] = [:]
        var current: (name: String, required: [String], fields: [Field])?
        func finish() {
            guard let done = current else { return }
            var index: [String: Int] = [:]
            for (offset, field) in done.fields.enumerated() { index[field.name] = offset }
            result[done.name] = ObjectType(name: done.name, fields: done.fields, required: done.required, index: index)
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let words = line.split(separator: " ")
            if !line.hasPrefix(" ") {
                finish()
                let required = words.count > 1 ? words[1].dropFirst().split(separator: ",").map(String.init) : []
                current = (String(words[0]), required, [])
                continue
            }
            var typeText = Substring(words[1])
            let nullable = typeText.hasSuffix("?")
            if nullable { typeText = typeText.dropLast() }
            var field = Field(
                name: String(words[0]), type: parseType(typeText), nullable: nullable, patchStrategy: [], mergeKey: nil,
                allowedValues: nil
            )
            for word in words.dropFirst(2) {
                if word.hasPrefix("patch=") {
                    for part in word.dropFirst(6).split(separator: ",") {
                        switch part {
                        case "merge": field.patchStrategy.insert(.merge)
                        case "retainKeys": field.patchStrategy.insert(.retainKeys)
                        case "replace": field.patchStrategy.insert(.replace)
                        default: preconditionFailure("PodSchema table: unknown patch strategy \(part)")
                        }
                    }
                } else if word.hasPrefix("key=") {
                    field.mergeKey = String(word.dropFirst(4))
                } else if word.hasPrefix("enum=") {
                    field.allowedValues = word.dropFirst(5).split(separator: "|").map(String.init)
                }
            }
            current?.fields.append(field)
        }
        finish()
        return result
    }

    static func parseType(_ text: Substring) -> ValueType {
        if text.hasPrefix("[") { return .list(parseType(text.dropFirst().dropLast())) }
        if text.hasPrefix("{") {
            var inner = text.dropFirst().dropLast()
            let nullable = inner.hasSuffix("?")
            if nullable { inner = inner.dropLast() }
            return .map(parseType(inner), valueNullable: nullable)
        }
        if text.hasPrefix("@") { return .object(String(text.dropFirst())) }
        switch text {
        case "s": return .string
        case "i32": return .integer(bits: 32)
        case "i64": return .integer(bits: 64)
        case "f": return .number
        case "b": return .boolean
        case "q": return .quantity
        case "ios": return .intOrString
        case "t": return .time
        case "B": return .bytes
        case "o": return .freeform
        default: preconditionFailure("PodSchema table: unknown type \(text)")
        }
    }
}
