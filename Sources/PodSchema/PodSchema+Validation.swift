import JSON

extension PodSchema {
    /// Checks a Pod (or a partial Pod, such as a `pod_override` or a strategic merge patch) against the schema.
    ///
    /// - Parameters:
    ///   - value: The document, a JSON object.
    ///   - asPartial: true for a patch: required fields may be absent, `null` deletes, and the strategic-merge
    ///     directives (`$patch`, `$retainKeys`, `$setElementOrder/…`, `$deleteFromPrimitiveList/…`) are checked
    ///     where they stand; list elements of merged lists need their merge key. false for a whole Pod, where a
    ///     directive is an error and `null` only where the schema allows it.
    /// - Returns: Every violation (unknown fields with the nearest known field, wrong types, missing required
    ///   fields, invalid quantities and enum values), in document order; empty when the document fits.
    ///
    /// ```swift
    /// PodSchema.validate(["spec": ["nodeSelecter": ["disk": "ssd"]]], asPartial: true)
    /// // [spec.nodeSelecter: unknown field in PodSpec; did you mean "nodeSelector"?]
    /// ```
    public static func validate(_ value: JSONValue, asPartial: Bool) -> [SchemaViolation] {
        validate(value, as: podTypeName, asPartial: asPartial)
    }

    /// Checks `value` as an object of the type `typeName` (`Pod`, `Container`, …); see ``validate(_:asPartial:)``.
    public static func validate(_ value: JSONValue, as typeName: String, asPartial: Bool) -> [SchemaViolation] {
        var validator = SchemaValidator(partial: asPartial)
        validator.check(value, type: .object(typeName), nullable: false, mergeKey: nil, allowed: nil, path: SchemaPath())
        return validator.violations
    }

    /// The field of `typeName` nearest to `name` (a typo, another case, snake_case), if one is near enough.
    public static func nearestField(to name: String, in typeName: String) -> String? {
        guard let type = types[typeName] else { return nil }
        return nearest(to: name, among: type.fields.map(\.name))
    }

    /// The candidate nearest to `name`: the same but for case, `_` and `-`, else within a few edits; nil if none is.
    public static func nearest(to name: String, among candidates: [String]) -> String? {
        let folded = fold(name)
        if let same = candidates.first(where: { fold($0) == folded }) { return same }
        let lowered = Array(name.lowercased())
        let limit = max(1, min(3, lowered.count / 3))
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(lowered, Array(candidate.lowercased()))
            if distance <= limit, distance < (best?.distance ?? .max) { best = (candidate, distance) }
        }
        return best?.name
    }

    /// Where `name` lives one level below `typeName`, e.g. `resources.limits` for `limits` in a Container.
    static func nestedField(named name: String, in typeName: String) -> String? {
        guard let type = types[typeName] else { return nil }
        for field in type.fields {
            switch field.type {
            case .object(let child) where types[child]?.field(name) != nil: return "\(field.name).\(name)"
            case .list(.object(let child)) where types[child]?.field(name) != nil: return "\(field.name)[].\(name)"
            default: continue
            }
        }
        return nil
    }

    /// `; did you mean "x"?` (or where the field belongs), or nothing.
    static func suggestionText(for key: String, in typeName: String) -> String {
        if let near = nearestField(to: key, in: typeName) { return "; did you mean \"\(near)\"?" }
        if let nested = nestedField(named: key, in: typeName) { return "; it belongs under \"\(nested)\"" }
        return ""
    }

    static func fold(_ name: String) -> String {
        String(name.lowercased().filter { $0 != "_" && $0 != "-" })
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}

/// Walks a document along the schema, collecting violations.
struct SchemaValidator {
    typealias ValueType = PodSchema.ValueType

    let partial: Bool
    var violations: [SchemaViolation] = []

    mutating func report(_ path: SchemaPath, _ kind: SchemaViolation.Kind, _ message: String) {
        violations.append(SchemaViolation(path: path, kind: kind, message: message))
    }

    mutating func wrongType(_ value: JSONValue, _ type: ValueType, _ path: SchemaPath) {
        let found = value.isNull ? "null" : "\(value.kindName) \(value.jsonString.prefix(40))"
        report(path, .wrongType(expected: type.description), "must be \(type.description), not \(found)")
    }

    mutating func check(
        _ value: JSONValue, type: ValueType, nullable: Bool, mergeKey: String?, allowed: [String]?, path: SchemaPath
    ) {
        if value.isNull {
            if !partial && !nullable { wrongType(value, type, path) }
            return
        }
        switch type {
        case .string, .time, .bytes:
            guard case .string(let text) = value else { return wrongType(value, type, path) }
            if let allowed, !allowed.contains(text) {
                report(path, .invalidValue, "must be \(allowed.map { "\"\($0)\"" }.joined(separator: " or ")), not \"\(text)\"")
            }
        case .integer(let bits):
            guard case .int(let number) = value else { return wrongType(value, type, path) }
            if bits == 32, number < Int64(Int32.min) || number > Int64(Int32.max) {
                report(path, .invalidValue, "\(number) does not fit a 32-bit integer")
            }
        case .number:
            guard value.doubleValue != nil else { return wrongType(value, type, path) }
        case .boolean:
            guard case .bool = value else { return wrongType(value, type, path) }
        case .intOrString:
            switch value {
            case .int, .string: break
            default: wrongType(value, type, path)
            }
        case .quantity:
            switch value {
            case .string(let text):
                if let problem = Quantity.problem(with: text) { report(path, .invalidValue, problem) }
            case .int, .double:
                if let problem = Quantity.problem(with: value.jsonString) { report(path, .invalidValue, problem) }
            default: wrongType(value, type, path)
            }
        case .freeform:
            guard case .object = value else { return wrongType(value, type, path) }
        case .object(let name):
            guard case .object(let object) = value, let objectType = PodSchema.types[name] else {
                return wrongType(value, type, path)
            }
            checkObject(object, type: objectType, listMergeKey: mergeKey, path: path)
        case .list(let element):
            guard case .array(let items) = value else { return wrongType(value, type, path) }
            for (offset, item) in items.enumerated() {
                let name = mergeKey.flatMap { item.objectValue?[$0]?.stringValue }
                let itemPath = path.appending(.element(offset, name: name))
                if item.isNull {
                    report(itemPath, .wrongType(expected: element.description), "a list element cannot be null")
                    continue
                }
                check(item, type: element, nullable: false, mergeKey: mergeKey, allowed: nil, path: itemPath)
            }
        case .map(let valueType, let valueNullable):
            guard case .object(let object) = value else { return wrongType(value, type, path) }
            for (key, item) in object {
                let itemPath = path.appending(.key(key))
                if key == StrategicMerge.directiveMarker {
                    checkPatchDirective(item, inList: false, path: itemPath)
                    continue
                }
                check(item, type: valueType, nullable: valueNullable, mergeKey: nil, allowed: nil, path: itemPath)
            }
        }
    }

    /// `listMergeKey`: the merge key when the object is an element of a merged list.
    mutating func checkObject(_ object: JSONObject, type: PodSchema.ObjectType, listMergeKey: String?, path: SchemaPath) {
        let directive = object[StrategicMerge.directiveMarker]
        for (key, value) in object {
            let fieldPath = path.appending(.field(key))
            if key.hasPrefix("$") {
                checkDirective(key, value, in: type, inList: listMergeKey != nil, path: fieldPath)
                continue
            }
            guard let field = type.field(key) else {
                let suggestion = PodSchema.nearestField(to: key, in: type.name)
                let hint = PodSchema.suggestionText(for: key, in: type.name)
                report(fieldPath, .unknownField(suggestion: suggestion), "unknown field in \(type.name)\(hint)")
                continue
            }
            check(
                value, type: field.type, nullable: field.nullable, mergeKey: field.mergeKey, allowed: field.allowedValues,
                path: fieldPath
            )
        }
        if partial {
            // A merged list's element needs its merge key, unless it only says `$patch: replace`.
            if let listMergeKey, object[listMergeKey] == nil, directive?.stringValue != "replace" {
                report(path.appending(.field(listMergeKey)), .missingField,
                       "is required: it is the merge key that says which element to merge with")
            }
            return
        }
        for required in type.required where object[required] == nil {
            report(path.appending(.field(required)), .missingField, "is required in \(type.name)")
        }
    }

    mutating func checkDirective(_ key: String, _ value: JSONValue, in type: PodSchema.ObjectType, inList: Bool, path: SchemaPath) {
        guard partial else {
            report(path, .invalidDirective,
                   "the strategic-merge directive \(key) is left in the merged Pod: it had nothing to apply to "
                   + "(a directive only acts on what the template or the generated Pod already has)")
            return
        }
        if key == StrategicMerge.directiveMarker { return checkPatchDirective(value, inList: inList, path: path) }
        if key == StrategicMerge.retainKeysDirective {
            guard case .array(let names) = value, names.allSatisfy({ $0.stringValue != nil }) else {
                return report(path, .invalidDirective, "must be a list of field names")
            }
            for name in names.compactMap(\.stringValue) where type.field(name) == nil {
                report(path, .invalidDirective, "names \"\(name)\", which is not a field of \(type.name)")
            }
            return
        }
        for prefix in [StrategicMerge.setElementOrderPrefix, StrategicMerge.deleteFromPrimitiveListPrefix]
        where key.hasPrefix(prefix + "/") {
            let name = String(key.dropFirst(prefix.count + 1))
            guard let field = type.field(name), case .list(let element) = field.type else {
                return report(path, .invalidDirective, "\(prefix)/ must name a list field of \(type.name), not \"\(name)\"")
            }
            guard case .array(let items) = value else { return report(path, .invalidDirective, "must be a list") }
            if prefix == StrategicMerge.deleteFromPrimitiveListPrefix, case .object = element {
                return report(path, .invalidDirective,
                              "applies to lists of strings only; delete an element of \(name) with \"$patch: delete\"")
            }
            if let mergeKey = field.mergeKey {
                for (offset, item) in items.enumerated() where item.objectValue?[mergeKey] == nil {
                    report(path.appending(.element(offset, name: nil)), .invalidDirective,
                           "each element must be an object with \"\(mergeKey)\"")
                }
            }
            return
        }
        report(path, .invalidDirective,
               "unknown directive; use $patch, $retainKeys, $setElementOrder/<list> or $deleteFromPrimitiveList/<list>")
    }

    mutating func checkPatchDirective(_ value: JSONValue, inList: Bool, path: SchemaPath) {
        guard partial else {
            return report(path, .invalidDirective,
                          "the strategic-merge directive $patch is left in the merged Pod: it had nothing to apply to")
        }
        switch value.stringValue {
        case "replace", "delete": return
        case "merge" where inList:
            report(path, .invalidDirective, "\"merge\" cannot be given for a list element; use replace or delete")
        default:
            report(path, .invalidDirective, "must be \"replace\" or \"delete\", not \(value.jsonString)")
        }
    }
}
