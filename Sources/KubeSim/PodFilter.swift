import JSON

/// Which Pods a list or watch is about: a namespace (or all) and label and field selectors.
struct PodFilter: Sendable {
    var namespace: String?
    var labels: LabelSelector = .everything
    var fields: FieldSelector = .everything

    func matches(_ pod: JSONValue) -> Bool {
        if let namespace, pod[path: "metadata", "namespace"]?.stringValue != namespace { return false }
        if !labels.requirements.isEmpty {
            var podLabels: [String: String] = [:]
            for (key, value) in pod[path: "metadata", "labels"]?.objectValue ?? [:] {
                if let text = value.stringValue { podLabels[key] = text }
            }
            if !labels.matches(podLabels) { return false }
        }
        return fields.matches(pod)
    }
}
