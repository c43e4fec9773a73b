import JSON

/// Kubernetes strategic merge patch, exactly as `kubectl patch --type strategic` and the API server apply it
/// (`k8s.io/apimachinery/pkg/util/strategicpatch`), driven by the Pod schema's patch strategies and merge keys.
///
/// - Objects merge key by key, recursively; `null` deletes a key.
/// - Lists whose field has the `merge` strategy merge element by element on the field's merge key: containers,
///   initContainers, ephemeralContainers, env, volumes, imagePullSecrets… by `name`; volumeMounts by `mountPath`;
///   ports by `containerPort`; hostAliases by `ip`. Lists of scalars with `merge` (finalizers) merge as sets.
///   The result keeps the patch's order for the elements it names and the original's order for the others.
/// - Every other list is replaced (tolerations, args, command, envFrom).
/// - Directives: `$patch: replace` (an object or a merged list replaced by the patch's), `$patch: delete` (an
///   object emptied, a list element removed by its merge key), `$setElementOrder/<list>`, `$retainKeys` and
///   `$deleteFromPrimitiveList/<list>`.
///
/// Quirks of the reference implementation are kept, so that the result is the same document: a directive on a
/// key the original does not have drops the key; nulls inside a new element of a merged list are kept.
///
/// ```swift
/// let pod = try StrategicMerge.apply(["spec": ["containers": [["name": "base", "image": "python:3.12"]]]], to: template)
/// ```
public enum StrategicMerge {
    static let directiveMarker = "$patch"
    static let retainKeysDirective = "$retainKeys"
    static let deleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList"
    static let setElementOrderPrefix = "$setElementOrder"

    /// Applies `patch` to `original`, both JSON objects of the type `typeName` (a Pod by default).
    ///
    /// - Throws: ``StrategicMergeError`` for a patch the API would refuse: a merged list element without its merge
    ///   key, an unknown `$patch` value, a `$setElementOrder` list that contradicts the patch, a field the schema
    ///   does not know where both documents hold an object or a list.
    public static func apply(
        _ patch: JSONValue, to original: JSONValue, typeName: String = PodSchema.podTypeName
    ) throws(StrategicMergeError) -> JSONValue {
        guard case .object(let patchObject) = patch else {
            throw StrategicMergeError(path: "", message: "a strategic merge patch must be an object, not \(patch.kindName)")
        }
        guard case .object(let originalObject) = original else {
            throw StrategicMergeError(path: "", message: "the document to patch must be an object, not \(original.kindName)")
        }
        var merger = Merger()
        return .object(try merger.mergeMap(originalObject, patchObject, type: .object(typeName), path: ""))
    }
}

/// One application of a patch; carries nothing but keeps the recursive functions together.
struct Merger {
    typealias ValueType = PodSchema.ValueType
    typealias Strategy = PodSchema.PatchStrategy

    func fail(_ path: String, _ message: String) -> StrategicMergeError {
        StrategicMergeError(path: path, message: message)
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    // MARK: Schema look-ups (PatchMetaFromStruct)

    /// The type, strategy and merge key of `key` inside a value of `type`; nil type: no schema below.
    func lookupStruct(_ key: String, in type: ValueType?, path: String) throws(StrategicMergeError)
        -> (type: ValueType?, strategy: Strategy, mergeKey: String?)
    {
        switch type {
        case nil, .freeform: return (nil, [], nil)
        case .map(let value, _): return (value, [], nil)
        case .object(let name):
            guard let field = PodSchema.field(key, of: name) else {
                let hint = PodSchema.suggestionText(for: key, in: name)
                throw fail(Merger.join(path, key), "unknown field \"\(key)\" in \(name)\(hint)")
            }
            return (field.type, field.patchStrategy, field.mergeKey)
        default:
            throw fail(path, "\(key): merging an object, but the schema expects \(type!.description) here")
        }
    }

    func lookupSlice(_ key: String, in type: ValueType?, path: String) throws(StrategicMergeError)
        -> (element: ValueType?, strategy: Strategy, mergeKey: String?)
    {
        let found = try lookupStruct(key, in: type, path: path)
        switch found.type {
        case nil: return (nil, found.strategy, found.mergeKey)
        case .list(let element): return (element, found.strategy, found.mergeKey)
        default: throw fail(Merger.join(path, key), "a list, but the schema expects \(found.type!.description)")
        }
    }

    // MARK: Maps

    mutating func mergeMap(_ original: JSONObject, _ patch: JSONObject, type: ValueType?, path: String)
        throws(StrategicMergeError) -> JSONObject
    {
        if let directive = patch[StrategicMerge.directiveMarker] {
            return try handleDirectiveInMergeMap(directive, patch, path: path)
        }
        var original = original
        var patch = patch
        try applyRetainKeysDirective(&original, &patch, path: path)
        try mergePatchIntoOriginal(&original, &patch, type: type, path: path)

        for key in patch.keys {
            guard let patchValue = patch[key] else { continue }
            var name = key
            var isDeleteList = false
            if key.hasPrefix(StrategicMerge.deleteFromPrimitiveListPrefix) {
                name = try extractKey(key, prefix: StrategicMerge.deleteFromPrimitiveListPrefix, path: path)
                isDeleteList = true
            }
            let fieldPath = Merger.join(path, name)
            if patchValue.isNull {
                original[name] = nil
                continue
            }
            guard let existing = original[name] else {
                if !isDeleteList { original[name] = Merger.removeDirectives(Merger.discardNulls(patchValue)) }
                continue
            }
            guard Merger.goKind(existing) == Merger.goKind(patchValue) else {
                if !isDeleteList { original[name] = Merger.removeDirectives(Merger.discardNulls(patchValue)) }
                continue
            }
            switch (existing, patchValue) {
            case (.object(let originalChild), .object(let patchChild)):
                let meta = try lookupStruct(name, in: type, path: path)
                if meta.strategy.contains(.replace) {
                    original[name] = patchValue
                } else {
                    original[name] = .object(try mergeMap(originalChild, patchChild, type: meta.type, path: fieldPath))
                }
            case (.array(let originalList), .array(let patchList)):
                let meta = try lookupSlice(name, in: type, path: path)
                original[name] = .array(try mergeSliceHandler(
                    originalList, patchList, element: meta.element, strategy: meta.strategy, mergeKey: meta.mergeKey,
                    isDeleteList: isDeleteList, path: fieldPath
                ))
            default:
                original[name] = Merger.removeDirectives(patchValue)
            }
        }
        return original
    }

    func handleDirectiveInMergeMap(_ directive: JSONValue, _ patch: JSONObject, path: String)
        throws(StrategicMergeError) -> JSONObject
    {
        switch directive.stringValue {
        case "replace":
            var replaced = patch
            replaced[StrategicMerge.directiveMarker] = nil
            return replaced
        case "delete":
            return JSONObject()
        default:
            throw fail(path, "unknown patch directive \"$patch: \(directive.jsonString)\"; use replace or delete")
        }
    }

    func extractKey(_ key: String, prefix: String, path: String) throws(StrategicMergeError) -> String {
        let parts = key.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == prefix else {
            throw fail(Merger.join(path, key), "write the directive as \(prefix)/<list field>")
        }
        return String(parts[1])
    }

    func applyRetainKeysDirective(_ original: inout JSONObject, _ patch: inout JSONObject, path: String)
        throws(StrategicMergeError)
    {
        guard let retain = patch[StrategicMerge.retainKeysDirective] else { return }
        patch[StrategicMerge.retainKeysDirective] = nil
        guard case .array(let list) = retain else {
            throw fail(Merger.join(path, StrategicMerge.retainKeysDirective), "must be a list of field names")
        }
        let kept = Set(list)
        for (key, value) in patch where !value.isNull && !key.hasPrefix(StrategicMerge.deleteFromPrimitiveListPrefix)
            && !key.hasPrefix(StrategicMerge.setElementOrderPrefix) && !kept.contains(.string(key))
        {
            throw fail(Merger.join(path, StrategicMerge.retainKeysDirective), "must list \"\(key)\", which the patch sets")
        }
        for key in original.keys where !kept.contains(.string(key)) { original[key] = nil }
    }

    /// `$setElementOrder/<list>`: merges that list now and orders it as the directive says.
    mutating func mergePatchIntoOriginal(_ original: inout JSONObject, _ patch: inout JSONObject, type: ValueType?, path: String)
        throws(StrategicMergeError)
    {
        for key in patch.keys where key.hasPrefix(StrategicMerge.setElementOrderPrefix) {
            guard let directive = patch[key] else { continue }
            patch[key] = nil
            guard case .array(let order) = directive else {
                throw fail(Merger.join(path, key), "must be a list, not \(directive.kindName)")
            }
            let name = try extractKey(key, prefix: StrategicMerge.setElementOrderPrefix, path: path)
            let fieldPath = Merger.join(path, name)
            var originalList: [JSONValue]?
            var patchList: [JSONValue]?
            if let value = original[name] {
                guard case .array(let list) = value else { throw fail(fieldPath, "must be a list, not \(value.kindName)") }
                originalList = list
            }
            if let value = patch[name] {
                guard case .array(let list) = value else { throw fail(fieldPath, "must be a list, not \(value.kindName)") }
                patchList = list
            }
            let meta = try lookupSlice(name, in: type, path: path)
            let mergeKey = meta.mergeKey ?? ""
            try validatePatchWithSetOrderList(patchList ?? [], order, mergeKey: mergeKey, path: fieldPath)
            let merged: [JSONValue]
            switch (originalList, patchList) {
            case (let originalList?, nil): merged = originalList
            case (nil, let patchList?): merged = Merger.removeDirectives(.array(patchList))?.arrayValue ?? []
            case (let originalList?, let patchList?):
                merged = try mergeSliceHandler(
                    originalList, patchList, element: meta.element, strategy: meta.strategy, mergeKey: meta.mergeKey,
                    isDeleteList: false, path: fieldPath
                )
            case (nil, nil): continue
            }
            let (patchItems, serverOnly) = try partition(merged, by: order, mergeKey: mergeKey, path: fieldPath)
            let kind = try sliceElementKind([originalList ?? [], patchList ?? []], path: fieldPath)
            original[name] = .array(try normalizeElementOrder(
                patchItems, serverOnly, patchOrder: order, serverOrder: originalList ?? [], mergeKey: mergeKey, kind: kind,
                path: fieldPath
            ))
            patch[name] = nil
        }
    }

    func validatePatchWithSetOrderList(_ patchList: [JSONValue], _ order: [JSONValue], mergeKey: String, path: String)
        throws(StrategicMergeError)
    {
        guard !order.isEmpty, !patchList.isEmpty else { return }
        let nonDelete = mergeKey.isEmpty ? patchList : try extractToDeleteItems(patchList, path: path).keep
        var patchIndex = 0
        var orderIndex = 0
        while patchIndex < nonDelete.count, orderIndex < order.count {
            if Merger.containsDirectiveMarker(nonDelete[patchIndex]) {
                patchIndex += 1
                continue
            }
            if try mergeKeyValueEqual(nonDelete[patchIndex], order[orderIndex], mergeKey: mergeKey, path: path) {
                patchIndex += 1
            }
            orderIndex += 1
        }
        if patchIndex < nonDelete.count {
            throw fail(path, "the patch lists elements in another order than, or not in, its $setElementOrder list")
        }
    }

    func mergeKeyValueEqual(_ left: JSONValue, _ right: JSONValue, mergeKey: String, path: String)
        throws(StrategicMergeError) -> Bool
    {
        if mergeKey.isEmpty { return left == right }
        guard case .object(let leftObject) = left, case .object(let rightObject) = right else {
            throw fail(path, "elements of a list merged by \(mergeKey) must be objects")
        }
        guard let leftKey = leftObject[mergeKey], let rightKey = rightObject[mergeKey] else {
            throw fail(path, "every element needs its merge key \"\(mergeKey)\"")
        }
        return leftKey == rightKey
    }

    // MARK: Lists

    mutating func mergeSliceHandler(
        _ original: [JSONValue], _ patch: [JSONValue], element: ValueType?, strategy: Strategy, mergeKey: String?,
        isDeleteList: Bool, path: String
    ) throws(StrategicMergeError) -> [JSONValue] {
        guard strategy.contains(.merge) || isDeleteList else { return patch }
        return try mergeSlice(original, patch, element: element, mergeKey: mergeKey ?? "", isDeleteList: isDeleteList, path: path)
    }

    mutating func mergeSlice(
        _ original: [JSONValue], _ patch: [JSONValue], element: ValueType?, mergeKey: String, isDeleteList: Bool, path: String
    ) throws(StrategicMergeError) -> [JSONValue] {
        if original.isEmpty && patch.isEmpty { return original }
        let kind = try sliceElementKind([original, patch], path: path)
        var original = original
        var patch = patch
        var merged: [JSONValue]
        if kind != .object {
            if isDeleteList { return original.filter { !patch.contains($0) } }
            merged = Merger.deduplicateScalars(original + patch)
        } else {
            guard !mergeKey.isEmpty else { throw fail(path, "a list of objects without a merge key cannot be merged") }
            (original, patch) = try mergeSliceWithSpecialElements(original, patch, mergeKey: mergeKey, path: path)
            merged = try mergeSliceWithoutSpecialElements(original, patch, mergeKey: mergeKey, element: element, path: path)
        }
        let (patchItems, serverOnly) = try partition(merged, by: patch, mergeKey: mergeKey, path: path)
        return try normalizeElementOrder(
            patchItems, serverOnly, patchOrder: patch, serverOrder: original, mergeKey: mergeKey, kind: kind, path: path
        )
    }

    func mergeSliceWithSpecialElements(_ original: [JSONValue], _ patch: [JSONValue], mergeKey: String, path: String)
        throws(StrategicMergeError) -> ([JSONValue], [JSONValue])
    {
        var original = original
        var plain: [JSONValue] = []
        var replace = false
        for (offset, item) in patch.enumerated() {
            guard let object = item.objectValue, let directive = object[StrategicMerge.directiveMarker] else {
                plain.append(item)
                continue
            }
            let itemPath = "\(path)[\(offset)]"
            switch directive.stringValue {
            case "delete":
                guard let keyValue = object[mergeKey] else {
                    throw fail(itemPath, "\"$patch: delete\" needs the merge key \"\(mergeKey)\" of the element to delete")
                }
                original.removeAll { $0.objectValue?[mergeKey] == keyValue }
            case "replace":
                replace = true
            case "merge":
                throw fail(itemPath, "\"$patch: merge\" cannot be given for a list; merging is the default")
            default:
                throw fail(itemPath, "unknown patch directive \"$patch: \(directive.jsonString)\"; use replace or delete")
            }
        }
        return replace ? (plain, []) : (original, plain)
    }

    mutating func mergeSliceWithoutSpecialElements(
        _ original: [JSONValue], _ patch: [JSONValue], mergeKey: String, element: ValueType?, path: String
    ) throws(StrategicMergeError) -> [JSONValue] {
        var original = original
        for (offset, item) in patch.enumerated() {
            guard case .object(let object) = item, let keyValue = object[mergeKey] else {
                throw fail("\(path)[\(offset)]", "the element has no \"\(mergeKey)\", the merge key of this list")
            }
            if let index = original.firstIndex(where: { $0.objectValue?[mergeKey] == keyValue }) {
                guard case .object(let originalObject) = original[index] else {
                    throw fail("\(path)[\(index)]", "elements of a list merged by \(mergeKey) must be objects")
                }
                let label = keyValue.stringValue ?? keyValue.jsonString
                original[index] = .object(try mergeMap(originalObject, object, type: element, path: "\(path)[\(label)]"))
            } else {
                original.append(item)
            }
        }
        return original
    }

    func partition(_ merged: [JSONValue], by list: [JSONValue], mergeKey: String, path: String)
        throws(StrategicMergeError) -> (inList: [JSONValue], notInList: [JSONValue])
    {
        var inList: [JSONValue] = []
        var notInList: [JSONValue] = []
        if mergeKey.isEmpty {
            let members = Set(list)
            for item in merged {
                if members.contains(item) { inList.append(item) } else { notInList.append(item) }
            }
            return (inList, notInList)
        }
        for item in merged {
            guard case .object(let object) = item, let keyValue = object[mergeKey] else {
                throw fail(path, "every element needs its merge key \"\(mergeKey)\"")
            }
            if list.contains(where: { $0.objectValue?[mergeKey] == keyValue }) {
                inList.append(item)
            } else {
                notInList.append(item)
            }
        }
        return (inList, notInList)
    }

    /// Sorts the patch's elements by `patchOrder` and the others by `serverOrder`, then interleaves them.
    func normalizeElementOrder(
        _ patchItems: [JSONValue], _ serverOnly: [JSONValue], patchOrder: [JSONValue], serverOrder: [JSONValue],
        mergeKey: String, kind: Kind, path: String
    ) throws(StrategicMergeError) -> [JSONValue] {
        let sortedPatch = try normalizeSliceOrder(patchItems, order: patchOrder, mergeKey: mergeKey, kind: kind, path: path)
        let sortedServer = try normalizeSliceOrder(serverOnly, order: serverOrder, mergeKey: mergeKey, kind: kind, path: path)
        return mergeSortedSlice(sortedServer, sortedPatch, serverOrder: serverOrder, mergeKey: mergeKey, kind: kind)
    }

    func normalizeSliceOrder(_ items: [JSONValue], order: [JSONValue], mergeKey: String, kind: Kind, path: String)
        throws(StrategicMergeError) -> [JSONValue]
    {
        var items = items
        var toDelete: [JSONValue] = []
        if kind == .object {
            for item in items + order where item.objectValue?[mergeKey] == nil {
                throw fail(path, "every element needs its merge key \"\(mergeKey)\"")
            }
            (items, toDelete) = try extractToDeleteItems(items, path: path)
        }
        let ranked = items.enumerated().map { entry in
            (offset: entry.offset, item: entry.element, rank: index(of: entry.element, in: order, mergeKey: mergeKey, kind: kind))
        }
        // Stable; every element is found in `order` on the paths that reach here.
        let sorted = ranked.sorted { lhs, rhs in
            if lhs.rank >= 0, rhs.rank >= 0, lhs.rank != rhs.rank { return lhs.rank < rhs.rank }
            return lhs.offset < rhs.offset
        }
        return sorted.map(\.item) + toDelete
    }

    func mergeSortedSlice(_ left: [JSONValue], _ right: [JSONValue], serverOrder: [JSONValue], mergeKey: String, kind: Kind)
        -> [JSONValue]
    {
        var result: [JSONValue] = []
        result.reserveCapacity(left.count + right.count)
        var i = 0
        var j = 0
        while i < left.count, j < right.count {
            let leftRank = index(of: left[i], in: serverOrder, mergeKey: mergeKey, kind: kind)
            let rightRank = index(of: right[j], in: serverOrder, mergeKey: mergeKey, kind: kind)
            if leftRank >= 0, rightRank >= 0, leftRank < rightRank {
                result.append(left[i])
                i += 1
            } else {
                result.append(right[j])
                j += 1
            }
        }
        return result + left[i...] + right[j...]
    }

    func index(of item: JSONValue, in list: [JSONValue], mergeKey: String, kind: Kind) -> Int {
        if kind == .object {
            let key = item.objectValue?[mergeKey]
            return list.firstIndex { $0.objectValue?[mergeKey] == key } ?? -1
        }
        return list.firstIndex(of: item) ?? -1
    }

    func extractToDeleteItems(_ list: [JSONValue], path: String)
        throws(StrategicMergeError) -> (keep: [JSONValue], delete: [JSONValue])
    {
        var keep: [JSONValue] = []
        var delete: [JSONValue] = []
        for item in list {
            guard case .object(let object) = item else { throw fail(path, "elements must be objects, not \(item.kindName)") }
            if object[StrategicMerge.directiveMarker] == .string("delete") { delete.append(item) } else { keep.append(item) }
        }
        return (keep, delete)
    }

    // MARK: Values

    /// JSON kinds as Go's decoder types them: integers and non-integers are different types.
    enum Kind: Hashable {
        case null, bool, int, double, string, array, object
    }

    static func goKind(_ value: JSONValue) -> Kind {
        switch value {
        case .null: .null
        case .bool: .bool
        case .int: .int
        case .double: .double
        case .string: .string
        case .array: .array
        case .object: .object
        }
    }

    func sliceElementKind(_ lists: [[JSONValue]], path: String) throws(StrategicMergeError) -> Kind {
        var kind: Kind?
        for item in lists.joined() {
            let itemKind = Merger.goKind(item)
            if itemKind == .array { throw fail(path, "lists of lists cannot be merged") }
            if let kind, kind != itemKind { throw fail(path, "list elements are not all of one kind") }
            kind = itemKind
        }
        guard let kind else { throw fail(path, "no elements in any of the lists") }
        return kind
    }

    static func containsDirectiveMarker(_ item: JSONValue) -> Bool {
        item.objectValue?[StrategicMerge.directiveMarker] != nil
    }

    /// Go's order-changing de-duplication (the order is normalized afterwards).
    static func deduplicateScalars(_ items: [JSONValue]) -> [JSONValue] {
        var items = items
        var length = items.count - 1
        var i = 0
        while i < length {
            var j = i + 1
            while j <= length {
                if items[i] == items[j] {
                    items[j] = items[length]
                    items.removeLast()
                    length -= 1
                    j -= 1
                }
                j += 1
            }
            i += 1
        }
        return items
    }

    /// Drops null values from objects, recursively (not null list elements).
    static func discardNulls(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            var out = JSONObject()
            for (key, child) in object where !child.isNull { out[key] = discardNulls(child) }
            return .object(out)
        case .array(let items):
            return .array(items.map(discardNulls))
        default:
            return value
        }
    }

    /// The value without `$patch` directives: an object that carries one is dropped (nil), recursively.
    static func removeDirectives(_ value: JSONValue) -> JSONValue? {
        switch value {
        case .object(let object):
            if object[StrategicMerge.directiveMarker] != nil { return nil }
            var out = JSONObject()
            for (key, child) in object {
                if let kept = removeDirectives(child) { out[key] = kept }
            }
            return .object(out)
        case .array(let items):
            return .array(items.compactMap(removeDirectives))
        default:
            return value
        }
    }
}
