import Foundation
import JSON

/// JSON patch (RFC 6902): `add`, `remove`, `replace`, `move`, `copy` and `test` operations on JSON pointers.
enum JSONPatch {
    /// Why an operation could not be applied, in the words of the API server's JSON patch library.
    struct Failure: Error, Sendable {
        var message: String
    }

    static func apply(_ patch: JSONValue, to document: JSONValue) throws(Failure) -> JSONValue {
        guard let operations = patch.arrayValue else {
            throw Failure(message: "json: cannot unmarshal \(patch.kindName) into Go value of type jsonpatch.Patch")
        }
        var result = document
        for operation in operations {
            guard let op = operation["op"]?.stringValue else { throw Failure(message: "Unexpected kind: unknown") }
            guard let path = operation["path"]?.stringValue else {
                throw Failure(message: "operation missing path field")
            }
            let pointer = try parse(path)
            switch op {
            case "add":
                guard let value = operation["value"] else { throw Failure(message: "missing value") }
                result = try add(value, at: pointer[...], in: result, path: path)
            case "remove":
                _ = try get(pointer[...], in: result, path: path)
                result = try remove(pointer[...], in: result, path: path)
            case "replace":
                guard let value = operation["value"] else { throw Failure(message: "missing value") }
                _ = try get(pointer[...], in: result, path: path)
                result = try remove(pointer[...], in: result, path: path)
                result = try add(value, at: pointer[...], in: result, path: path)
            case "move", "copy":
                guard let from = operation["from"]?.stringValue else {
                    throw Failure(message: "operation missing from field")
                }
                let source = try parse(from)
                let value = try get(source[...], in: result, path: from)
                if op == "move" { result = try remove(source[...], in: result, path: from) }
                result = try add(value, at: pointer[...], in: result, path: path)
            case "test":
                let expected = operation["value"] ?? .null
                let actual = try? get(pointer[...], in: result, path: path)
                guard actual == expected else { throw Failure(message: "testing value \(path) failed: test failed") }
            default:
                throw Failure(message: "Unexpected kind: \(op)")
            }
        }
        return result
    }

    private static func parse(_ path: String) throws(Failure) -> [String] {
        guard !path.isEmpty else { return [] }
        guard path.hasPrefix("/") else { throw Failure(message: "path \(path) does not start with a slash") }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    private static func get(_ pointer: ArraySlice<String>, in value: JSONValue, path: String) throws(Failure)
        -> JSONValue
    {
        guard let key = pointer.first else { return value }
        switch value {
        case .object(let object):
            guard let child = object[key] else { throw Failure(message: "doc is missing path: \"\(path)\": missing value") }
            return try get(pointer.dropFirst(), in: child, path: path)
        case .array(let array):
            guard let index = Int(key), array.indices.contains(index) else {
                throw Failure(message: "doc is missing path: \"\(path)\": missing value")
            }
            return try get(pointer.dropFirst(), in: array[index], path: path)
        default:
            throw Failure(message: "doc is missing path: \"\(path)\": missing value")
        }
    }

    private static func add(_ new: JSONValue, at pointer: ArraySlice<String>, in value: JSONValue, path: String)
        throws(Failure) -> JSONValue
    {
        guard let key = pointer.first else { return new }
        let last = pointer.count == 1
        switch value {
        case .object(var object):
            if last {
                object[key] = new
            } else {
                guard let child = object[key] else {
                    throw Failure(message: "add operation does not apply: doc is missing path: \"\(path)\": missing value")
                }
                object[key] = try add(new, at: pointer.dropFirst(), in: child, path: path)
            }
            return .object(object)
        case .array(var array):
            if last {
                if key == "-" {
                    array.append(new)
                } else {
                    guard let index = Int(key), index >= 0, index <= array.count else {
                        throw Failure(message: "Unable to access invalid index: \(key): invalid index referenced")
                    }
                    array.insert(new, at: index)
                }
            } else {
                guard let index = Int(key), array.indices.contains(index) else {
                    throw Failure(message: "Unable to access invalid index: \(key): invalid index referenced")
                }
                array[index] = try add(new, at: pointer.dropFirst(), in: array[index], path: path)
            }
            return .array(array)
        default:
            throw Failure(message: "add operation does not apply: doc is missing path: \"\(path)\": missing value")
        }
    }

    private static func remove(_ pointer: ArraySlice<String>, in value: JSONValue, path: String) throws(Failure)
        -> JSONValue
    {
        guard let key = pointer.first else { return .null }
        let last = pointer.count == 1
        switch value {
        case .object(var object):
            guard let child = object[key] else {
                throw Failure(message: "remove operation does not apply: doc is missing path: \"\(path)\"")
            }
            if last {
                object[key] = nil
            } else {
                object[key] = try remove(pointer.dropFirst(), in: child, path: path)
            }
            return .object(object)
        case .array(var array):
            guard let index = Int(key), array.indices.contains(index) else {
                throw Failure(message: "Unable to access invalid index: \(key): invalid index referenced")
            }
            if last {
                array.remove(at: index)
            } else {
                array[index] = try remove(pointer.dropFirst(), in: array[index], path: path)
            }
            return .array(array)
        default:
            throw Failure(message: "remove operation does not apply: doc is missing path: \"\(path)\"")
        }
    }
}
