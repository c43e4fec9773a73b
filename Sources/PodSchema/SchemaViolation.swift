/// One place where a document does not fit the Pod schema: an unknown field, a value of the wrong type, a
/// missing required field, a value the schema does not allow, or a misused strategic-merge directive.
///
/// ```swift
/// for violation in PodSchema.validate(override, asPartial: true) {
///     print(violation)   // spec.containers[base].resource: unknown field; did you mean "resources"?
/// }
/// ```
public struct SchemaViolation: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// A field the type does not have; `suggestion` is the nearest field it does have.
        case unknownField(suggestion: String?)
        /// A value of another JSON kind than the field's (`expected` describes the right one).
        case wrongType(expected: String)
        /// A required field is absent.
        case missingField
        /// The value has the right type but is not allowed (an enum, an invalid quantity, an out-of-range integer).
        case invalidValue
        /// A strategic-merge directive where it cannot be, or with a bad value.
        case invalidDirective
    }

    /// Where, from the document's root.
    public var path: SchemaPath
    public var kind: Kind
    /// What is wrong and what would be valid.
    public var message: String

    public init(path: SchemaPath, kind: Kind, message: String) {
        self.path = path
        self.kind = kind
        self.message = message
    }

    /// `path: message`, the path naming list elements by their merge key where they have one.
    public var description: String { "\(path): \(message)" }
}

/// A path into a Pod document: fields, map keys and list elements.
public struct SchemaPath: Sendable, Hashable, CustomStringConvertible, ExpressibleByArrayLiteral {
    public enum Component: Sendable, Hashable {
        case field(String)
        case key(String)
        /// A list element: its position, and its merge key's value when the list has one and it is a string.
        case element(Int, name: String?)
    }

    public var components: [Component]

    public init(_ components: [Component] = []) { self.components = components }
    public init(arrayLiteral elements: Component...) { components = elements }

    public func appending(_ component: Component) -> SchemaPath { SchemaPath(components + [component]) }

    /// `spec.containers[base].resources.limits.nvidia.com/gpu`: list elements by merge-key name where known.
    public var description: String { render(byName: true) }

    /// `spec.containers[0].resources`: list elements by position, as the API server's messages write them.
    public var indexed: String { render(byName: false) }

    func render(byName: Bool) -> String {
        var out = ""
        for component in components {
            switch component {
            case .field(let name), .key(let name):
                out += out.isEmpty ? name : ".\(name)"
            case .element(let index, let name):
                out += "[\(byName ? (name ?? String(index)) : String(index))]"
            }
        }
        return out
    }
}
