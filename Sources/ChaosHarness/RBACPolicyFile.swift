import Foundation
import JSON
import YAML

/// The RBAC documents a proof runs under: the deployment's (`manifests/base/*.yaml`, once it exists) or a test's
/// own copy; and the same documents with one verb of one rule taken out.
public struct RBACPolicyFile: Sendable {
    /// One verb of one rule, as `resource verb` (`pods patch`, `pods/log get`, `leases update`).
    public struct Grant: Sendable, Hashable, CustomStringConvertible {
        public var resource: String
        public var verb: String

        public init(resource: String, verb: String) {
            self.resource = resource
            self.verb = verb
        }

        public var description: String { "\(resource) \(verb)" }
    }

    /// The documents (every kind; KubeSim keeps only the RBAC ones).
    public var documents: [JSONValue]
    /// Where they came from, for the test output.
    public var source: String

    public init(documents: [JSONValue], source: String) {
        self.documents = documents
        self.source = source
    }

    /// Parses a YAML stream.
    public init(yaml: String, source: String) throws {
        self.init(documents: try YAML.parseAll(yaml).filter { $0 != .null }, source: source)
    }

    /// Every `*.yaml` of `directory` (sorted), when the folder holds a Role or ClusterRole; else `nil`.
    public static func load(directory: String) throws -> RBACPolicyFile? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return nil }
        var text = ""
        for name in names.sorted() where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            guard name != "kustomization.yaml" else { continue }
            text += (try String(contentsOfFile: directory + "/" + name, encoding: .utf8)) + "\n---\n"
        }
        let file = try RBACPolicyFile(yaml: text, source: directory)
        return file.grants.isEmpty ? nil : file
    }

    /// The stream as YAML.
    public var yaml: String {
        documents.map { YAML.serialize($0) }.joined(separator: "\n---\n") + "\n"
    }

    /// Every verb of every rule of the Roles and ClusterRoles, in order; a rule's resources each count.
    public var grants: [Grant] {
        var grants: [Grant] = []
        for document in documents where Self.isRole(document) {
            for rule in document["rules"]?.arrayValue ?? [] {
                for resource in (rule["resources"]?.arrayValue ?? []).compactMap(\.stringValue) {
                    for verb in (rule["verbs"]?.arrayValue ?? []).compactMap(\.stringValue) {
                        let grant = Grant(resource: resource, verb: verb)
                        if !grants.contains(grant) { grants.append(grant) }
                    }
                }
            }
        }
        return grants
    }

    /// The same documents without `grant`: the verb leaves the rules that name the resource (a rule of several
    /// resources is split so the others keep it).
    public func removing(_ grant: Grant) -> RBACPolicyFile {
        var copy = self
        copy.documents = documents.map { document in
            guard Self.isRole(document), case .object(var object) = document else { return document }
            var rules: [JSONValue] = []
            for rule in document["rules"]?.arrayValue ?? [] {
                let resources = (rule["resources"]?.arrayValue ?? []).compactMap(\.stringValue)
                let verbs = (rule["verbs"]?.arrayValue ?? []).compactMap(\.stringValue)
                guard resources.contains(grant.resource), verbs.contains(grant.verb),
                    case .object(let fields) = rule
                else {
                    rules.append(rule)
                    continue
                }
                var others = fields
                others["resources"] = .array(resources.filter { $0 != grant.resource }.map { .string($0) })
                if !resources.filter({ $0 != grant.resource }).isEmpty { rules.append(.object(others)) }
                var narrowed = fields
                narrowed["resources"] = [.string(grant.resource)]
                narrowed["verbs"] = .array(verbs.filter { $0 != grant.verb }.map { .string($0) })
                if verbs.count > 1 { rules.append(.object(narrowed)) }
            }
            object["rules"] = .array(rules)
            return .object(object)
        }
        copy.source = source + " without " + grant.description
        return copy
    }

    static func isRole(_ document: JSONValue) -> Bool {
        let kind = document["kind"]?.stringValue
        return kind == "Role" || kind == "ClusterRole"
    }
}
