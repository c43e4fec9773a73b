import JSON

/// YAML text to JSON values and back, over the system libyaml.
///
/// Plain scalars are typed by the YAML 1.2 core schema (`yes` and `on` stay strings), mapping keys are
/// the text of scalars, anchors and aliases are expanded, and `<<` merge keys are merged as YAML 1.1 does.
///
/// ```swift
/// let pod = try YAML.parse(manifest)
/// let image = pod[path: "spec", "containers"]?.arrayValue?.first?["image"]?.stringValue
/// ```
public enum YAML {
    /// Parses a single-document YAML text into a JSON value.
    ///
    /// An empty stream (or one with only comments) is `JSONValue.null`.
    ///
    /// - Parameter text: The YAML text, e.g. a Pod manifest or a kubeconfig.
    /// - Returns: The document as a JSON value, object keys in the order they were written.
    /// - Throws: ``YAMLError`` at the first problem: invalid YAML, a duplicate or non-scalar key, an unknown alias,
    ///   a tagged scalar that is not of its tag's kind, or a second document (at the line it starts).
    ///
    /// ```swift
    /// let config = try YAML.parse("apiVersion: v1\nkind: Config\n")
    /// config["kind"]  // "Config"
    /// ```
    public static func parse(_ text: String) throws(YAMLError) -> JSONValue {
        try parseWithPositions(text).value
    }

    /// Parses a single-document YAML text, and says where each key of its top-level mapping was written.
    ///
    /// For messages about a configuration file that point at the key at fault. Keys that came from a `<<` merge
    /// have no position of their own and are absent from `keys`.
    ///
    /// - Parameter text: The YAML text.
    /// - Returns: The document as a JSON value and, when it is a mapping, the position of each of its keys.
    /// - Throws: ``YAMLError`` as ``parse(_:)`` does.
    ///
    /// ```swift
    /// let (config, keys) = try YAML.parseWithPositions("namespace: jobs\nparallelism: 8\n")
    /// keys["parallelism"]  // line 2, column 1
    /// ```
    public static func parseWithPositions(_ text: String) throws(YAMLError) -> (value: JSONValue, keys: [String: YAMLMark]) {
        var composer = try YAMLComposer(text: text)
        guard let (value, _) = try composer.nextDocument() else { return (.null, [:]) }
        let keys = composer.topLevelKeys
        if let (_, start) = try composer.nextDocument() {
            throw YAMLError(
                "expected a single YAML document, but a second one starts here; use parseAll for streams", at: start)
        }
        return (value, keys)
    }

    /// Parses every document of a YAML stream (documents separated by `---`).
    ///
    /// Empty documents are `JSONValue.null`; an empty stream has no documents.
    ///
    /// - Parameter text: The YAML stream, e.g. the output of `kubectl get -o yaml` for several objects.
    /// - Returns: One JSON value per document, in order.
    /// - Throws: ``YAMLError`` at the first problem in any document.
    ///
    /// ```swift
    /// for object in try YAML.parseAll(manifests) { print(object["kind"] ?? nil) }
    /// ```
    public static func parseAll(_ text: String) throws(YAMLError) -> [JSONValue] {
        var composer = try YAMLComposer(text: text)
        var documents: [JSONValue] = []
        while let (value, _) = try composer.nextDocument() { documents.append(value) }
        return documents
    }
}
