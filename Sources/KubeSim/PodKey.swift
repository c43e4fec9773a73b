/// A Pod's identity in the store: namespace and name, ordered as etcd orders its keys.
struct PodKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    var namespace: String
    var name: String

    static func < (lhs: PodKey, rhs: PodKey) -> Bool {
        (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
    }

    var description: String { "\(namespace)/\(name)" }
}
