import Hummingbird
import JSON

extension APIResponder {
    /// How long a list snapshot may have been superseded and still be continued from, when not configured.
    static let defaultContinueTTL: Duration = .seconds(300)

    /// `GET` on a Pod or Event collection: a PodList or EventList (paginated with `limit` and `continue`), or a
    /// watch with `watch=true`.
    func listOrWatch(
        _ resource: APIResource, namespace: String?, query: QueryParameters, accept: String?
    ) throws(APIError) -> Response {
        var filter = PodFilter(namespace: namespace)
        if let selector = query["labelSelector"] { filter.labels = try LabelSelector(parsing: selector) }
        if let selector = query["fieldSelector"] { filter.fields = try FieldSelector(parsing: selector, for: resource) }
        let table = TableRequest(accept: accept, query: query)
        if try query.bool("watch") == true {
            return try watch(filter, resource: resource, query: query, table: table)
        }
        let (read, limit) = try Self.listOptions(query, namespace: namespace)
        let page = try store.list(
            filter, resource: resource, read: read, limit: limit, continueTTL: configuration.continueTTL)
        var metadata: JSONObject = ["resourceVersion": .string(String(page.resourceVersion))]
        if let next = page.next {
            metadata["continue"] = .string(next.encoded(namespace: namespace))
            // The API server cannot count what follows when a selector filters the list.
            if filter.labels.requirements.isEmpty && filter.fields.requirements.isEmpty {
                metadata["remainingItemCount"] = .int(Int64(page.remaining))
            }
        }
        if let table {
            return Self.json(table.table(page.items, of: resource, metadata: .object(metadata)), code: 200)
        }
        let list: JSONValue = [
            "kind": .string(resource.listKind), "apiVersion": "v1",
            "metadata": .object(metadata),
            "items": .array(page.items.map { object in
                // Items of a list carry no kind or apiVersion of their own.
                var item = object
                item["kind"] = nil
                item["apiVersion"] = nil
                return item
            }),
        ]
        return Self.json(list, code: 200)
    }

    /// `limit`, `continue`, `resourceVersion` and `resourceVersionMatch`, checked as the API server checks them.
    static func listOptions(
        _ query: QueryParameters, namespace: String?
    ) throws(APIError) -> (read: PodStore.ListRead, limit: Int?) {
        let limit = try query.int("limit").map { Int(clamping: $0) }
        let version = query["resourceVersion"] ?? ""
        let match = query["resourceVersionMatch"] ?? ""
        let continueText = query["continue"] ?? ""
        var errors: [FieldError] = []
        if !match.isEmpty {
            if version.isEmpty {
                errors.append(FieldError(
                    kind: .forbidden, field: "resourceVersionMatch",
                    detail: "resourceVersionMatch is forbidden unless resourceVersion is provided"))
            }
            if !continueText.isEmpty {
                errors.append(FieldError(
                    kind: .forbidden, field: "resourceVersionMatch",
                    detail: "resourceVersionMatch is forbidden when continue is provided"))
            }
            switch match {
            case "Exact" where version == "0":
                errors.append(FieldError(
                    kind: .forbidden, field: "resourceVersionMatch",
                    detail: "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""))
            case "Exact", "NotOlderThan": break
            default:
                errors.append(FieldError(
                    kind: .notSupported(.string(match), supported: ["Exact", "NotOlderThan"]),
                    field: "resourceVersionMatch", detail: nil))
            }
        }
        if !errors.isEmpty { throw APIError.invalidListOptions(errors) }

        if !continueText.isEmpty {
            if !version.isEmpty && version != "0" {
                throw APIError.badRequest("specifying resource version is not allowed when using continue")
            }
            return (.continuing(try ContinueToken(decoding: continueText, namespace: namespace)), limit)
        }
        guard !version.isEmpty, version != "0" else { return (.latest, limit) }
        guard let number = Int64(version), number > 0 else {
            throw APIError.badRequest("invalid resource version: \(version.quoted)")
        }
        return (match == "Exact" ? .exact(number) : .notOlderThan(number), limit)
    }
}
