import Foundation
import JSON
import PodSchema

/// Checks a rendered Pod for what the API server would refuse, before any API call: the Pod schema (unknown fields,
/// wrong types, required fields, quantities), names, labels and annotations, containers, resources, volumes.
///
/// Each problem names the field path (list elements by name, e.g. `spec.containers[base].resources.limits.cpu`) and
/// what would be valid.
public enum PodValidation {
    /// - Throws: ``PodBuildError`` with the first problem; the others are in its `additional`.
    public static func validate(_ pod: JSONValue) throws {
        if let error = PodBuildError(problems(pod)) { throw error }
    }

    /// Every problem of `pod`, in document order; empty when the API server would accept it.
    public static func problems(_ pod: JSONValue) -> [PodBuildError] {
        var checker = Checker()
        checker.check(pod)
        return checker.problems
    }

    /// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
    public static func isDNS1123Label(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 63 else { return false }
        let bytes = Array(text.utf8)
        func alnum(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) }
        guard alnum(bytes.first!), alnum(bytes.last!) else { return false }
        return bytes.allSatisfy { alnum($0) || $0 == 0x2D }
    }

    /// Dot-separated DNS-1123 labels, at most 253 characters.
    public static func isDNS1123Subdomain(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 253 else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy {
            !$0.isEmpty && isDNS1123Label(String($0))
        }
    }

    /// `(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?`, at most 63 characters.
    public static func isLabelValue(_ text: String) -> Bool {
        if text.isEmpty { return true }
        guard text.utf8.count <= 63 else { return false }
        let scalars = Array(text.unicodeScalars)
        guard PodNaming.isAlphanumeric(scalars.first!), PodNaming.isAlphanumeric(scalars.last!) else { return false }
        return scalars.allSatisfy(PodNaming.isLabelCharacter)
    }

    /// A label or annotation key: an optional DNS-1123 subdomain prefix and `/`, then a name of at most 63 characters
    /// that starts and ends alphanumeric with `-`, `_`, `.` between.
    public static func isQualifiedName(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return !text.isEmpty && isLabelValue(text)
        case 2: return isDNS1123Subdomain(String(parts[0])) && !parts[1].isEmpty && isLabelValue(String(parts[1]))
        default: return false
        }
    }

    static let labelValueRule = "at most 63 of [A-Za-z0-9_.-], starting and ending alphanumeric"
    static let qualifiedNameRule = "an optional DNS subdomain prefix and '/', then a name of at most 63 of [A-Za-z0-9_.-] "
        + "starting and ending alphanumeric (e.g. team, example.com/team)"
    static let dnsLabelRule = "lower-case letters, digits and '-', starting and ending alphanumeric, at most 63 characters"
    static let standardResources: Set<String> = ["cpu", "memory", "ephemeral-storage"]
    static let maxAnnotationBytes = 256 * 1024
}

/// Collects the problems of one Pod.
struct Checker {
    var problems: [PodBuildError] = []

    mutating func add(_ field: String, _ message: String) {
        problems.append(PodBuildError(field: field, message: message))
    }

    mutating func check(_ pod: JSONValue) {
        for violation in PodSchema.validate(pod, asPartial: false) {
            add(violation.path.description, violation.message)
        }
        checkMetadata(pod)
        checkSpec(pod)
    }

    mutating func checkMetadata(_ pod: JSONValue) {
        if let name = pod[path: "metadata", "name"]?.stringValue {
            if !PodValidation.isDNS1123Subdomain(name) {
                add("metadata.name", "\"\(name)\" is not a valid Pod name: \(PodValidation.dnsLabelRule)")
            }
        } else {
            add("metadata.name", "is required")
        }
        if let namespace = pod[path: "metadata", "namespace"]?.stringValue, !PodValidation.isDNS1123Label(namespace) {
            add("metadata.namespace", "\"\(namespace)\" is not a valid namespace: \(PodValidation.dnsLabelRule)")
        }
        if let labels = pod[path: "metadata", "labels"]?.objectValue {
            for (key, value) in labels {
                if !PodValidation.isQualifiedName(key) {
                    add("metadata.labels.\(key)", "\"\(key)\" is not a valid label key: \(PodValidation.qualifiedNameRule)")
                }
                if let text = value.stringValue, !PodValidation.isLabelValue(text) {
                    add("metadata.labels.\(key)", "\"\(text)\" is not a valid label value: \(PodValidation.labelValueRule)")
                }
            }
        }
        if let annotations = pod[path: "metadata", "annotations"]?.objectValue {
            var size = 0
            for (key, value) in annotations {
                size += key.utf8.count + (value.stringValue?.utf8.count ?? 0)
                if !PodValidation.isQualifiedName(key) {
                    add("metadata.annotations.\(key)",
                        "\"\(key)\" is not a valid annotation key: \(PodValidation.qualifiedNameRule)")
                }
            }
            if size > PodValidation.maxAnnotationBytes {
                add("metadata.annotations", "hold \(size) bytes; Kubernetes allows at most 262144 (256 KiB) in all")
            }
        }
    }

    mutating func checkSpec(_ pod: JSONValue) {
        guard let spec = pod["spec"]?.objectValue else {
            if pod["spec"] == nil { add("spec", "is required") }
            return
        }
        if spec["containers"]?.arrayValue?.isEmpty ?? false {
            add("spec.containers", "must hold at least one container")
        }
        if let ephemeral = spec["ephemeralContainers"]?.arrayValue, !ephemeral.isEmpty {
            add("spec.ephemeralContainers",
                "cannot be set when a Pod is created; for a sidecar use an initContainer with restartPolicy: Always")
        }
        let volumes = spec["volumes"]?.arrayValue ?? []
        var volumeNames: Set<String> = []
        for (index, volume) in volumes.enumerated() {
            guard let name = volume["name"]?.stringValue else { continue }
            let path = "spec.volumes[\(name)]"
            if !PodValidation.isDNS1123Label(name) {
                add("spec.volumes[\(index)].name", "\"\(name)\" is not a valid volume name: \(PodValidation.dnsLabelRule)")
            }
            if !volumeNames.insert(name).inserted { add(path, "the volume name \"\(name)\" is used twice") }
        }
        var containerNames: Set<String> = []
        for list in ["initContainers", "containers"] {
            for (index, container) in (spec[list]?.arrayValue ?? []).enumerated() {
                guard case .object = container else { continue }
                let name = container["name"]?.stringValue
                let path = "spec.\(list)[\(name ?? String(index))]"
                if let name {
                    if !PodValidation.isDNS1123Label(name) {
                        add("\(path).name", "\"\(name)\" is not a valid container name: \(PodValidation.dnsLabelRule)")
                    } else if !containerNames.insert(name).inserted {
                        add("\(path).name",
                            "the container name \"\(name)\" is used twice (containers and initContainers share names)")
                    }
                }
                if container["image"]?.stringValue?.isEmpty ?? true {
                    add("\(path).image",
                        "is required: set the image on the task, in the controller's config, in the template or in pod_override")
                }
                checkEnv(container["env"], path: path)
                checkMounts(container["volumeMounts"], volumes: volumeNames, path: path)
                for (portIndex, port) in (container["ports"]?.arrayValue ?? []).enumerated() {
                    if let number = port["containerPort"]?.intValue, !(1...65535).contains(number) {
                        add("\(path).ports[\(portIndex)].containerPort", "must be between 1 and 65535, not \(number)")
                    }
                }
                checkResources(container["resources"], path: "\(path).resources")
            }
        }
        checkResources(spec["resources"].map { .object(["requests": $0["requests"] ?? .null, "limits": $0["limits"] ?? .null]) },
                       path: "spec.resources")
        if let policy = spec["restartPolicy"]?.stringValue, !["Always", "OnFailure", "Never"].contains(policy) {
            add("spec.restartPolicy", "must be Never, OnFailure or Always, not \"\(policy)\"")
        }
    }

    mutating func checkEnv(_ env: JSONValue?, path: String) {
        for (index, variable) in (env?.arrayValue ?? []).enumerated() {
            guard let name = variable["name"]?.stringValue else { continue }
            let printable = name.unicodeScalars.allSatisfy { (0x20...0x7E).contains($0.value) && $0 != "=" }
            if name.isEmpty || !printable {
                add("\(path).env[\(index)].name",
                    "\"\(name)\" is not a valid variable name: printable ASCII characters except '='")
            }
        }
    }

    mutating func checkMounts(_ mounts: JSONValue?, volumes: Set<String>, path: String) {
        var mountPaths: Set<String> = []
        for mount in mounts?.arrayValue ?? [] {
            guard let mountPath = mount["mountPath"]?.stringValue else { continue }
            let mountField = "\(path).volumeMounts[\(mountPath)]"
            if let name = mount["name"]?.stringValue, !volumes.contains(name) {
                let known = volumes.isEmpty ? "the Pod has no volumes" : "volumes: \(volumes.sorted().joined(separator: ", "))"
                add("\(mountField).name", "mounts the volume \"\(name)\", which spec.volumes does not define (\(known))")
            }
            if !mountPaths.insert(mountPath).inserted { add(mountField, "the mount path is used twice") }
        }
    }

    /// Quantities that parse, non-negative, requests not above limits, extended resources whole and equal to their
    /// limits, known resource names.
    mutating func checkResources(_ resources: JSONValue?, path: String) {
        guard let resources = resources?.objectValue else { return }
        var parsed: [String: [String: Quantity]] = [:]
        for section in ["requests", "limits"] {
            guard let amounts = resources[section]?.objectValue else { continue }
            for (resource, amount) in amounts {
                let field = "\(path).\(section).\(resource)"
                if let problem = resourceNameProblem(resource) { add(field, problem) }
                guard let quantity = Quantity(amount) else { continue }  // the schema check reported it
                if quantity.value < 0 {
                    add(field, "must not be negative, not \(quantity)")
                    continue
                }
                if Checker.isExtended(resource), quantity.value != quantity.value.rounded() {
                    add(field, "\(resource) is an extended resource and must be a whole number, not \(quantity)")
                }
                parsed[section, default: [:]][resource] = quantity
            }
        }
        let limits = parsed["limits"] ?? [:]
        for (resource, request) in (parsed["requests"] ?? [:]).sorted(by: { $0.key < $1.key }) {
            let field = "\(path).requests.\(resource)"
            let overcommitAllowed = !Checker.isExtended(resource) && !resource.hasPrefix("hugepages-")
            if let limit = limits[resource] {
                if !overcommitAllowed, request.value != limit.value {
                    add(field, "\(request) must equal the \(resource) limit \(limit): \(resource) cannot be overcommitted")
                } else if request > limit {
                    add(field, "the request \(request) is above the limit \(limit); raise the limit or lower the request")
                }
            } else if !overcommitAllowed {
                add("\(path).limits.\(resource)",
                    "is required: \(resource) cannot be overcommitted, so set a limit equal to the request")
            }
        }
    }

    func resourceNameProblem(_ resource: String) -> String? {
        if !resource.contains("/") {
            if PodValidation.standardResources.contains(resource) || resource.hasPrefix("hugepages-") { return nil }
            let near = PodSchema.nearest(to: resource, among: PodValidation.standardResources.sorted())
            return "\"\(resource)\" is not a container resource: use cpu, memory, ephemeral-storage, hugepages-<size>, "
                + "or an extended resource with a domain (e.g. nvidia.com/gpu)" + (near.map { "; did you mean \"\($0)\"?" } ?? "")
        }
        if Checker.isNative(resource) { return nil }
        if !Checker.isExtended(resource) {
            return "\"\(resource)\" is not a valid extended resource name: a DNS subdomain, '/', and a name (e.g. nvidia.com/gpu)"
        }
        return nil
    }

    /// `cpu`, `memory`…, or a name in the `kubernetes.io/` domain.
    static func isNative(_ resource: String) -> Bool {
        !resource.contains("/") || resource.contains("kubernetes.io/")
    }

    /// A resource a device plugin or operator provides (`nvidia.com/gpu`): whole units, never overcommitted.
    static func isExtended(_ resource: String) -> Bool {
        !isNative(resource) && !resource.hasPrefix("requests.") && PodValidation.isQualifiedName("requests.\(resource)")
    }
}

extension Decimal {
    func rounded() -> Decimal {
        var input = self
        var result = Decimal()
        NSDecimalRound(&result, &input, 0, .plain)
        return result
    }
}
