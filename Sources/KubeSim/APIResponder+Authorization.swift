import JSON
import HTTPTypes

extension APIResponder {
    /// The RBAC attributes of a request, as the API server's request info makes them: `nil` for non-resource paths
    /// (discovery, OpenAPI, health), which every authenticated user may read.
    ///
    /// GET of a collection is `list`, or `watch` with `watch=true`; DELETE of a collection is `deletecollection`;
    /// a list or watch narrowed to one object by `fieldSelector=metadata.name=X` carries its name.
    static func authorizationRequest(
        route: Route, method: HTTPRequest.Method, query: QueryParameters
    ) -> KubeSimRBAC.Request? {
        let group: String
        let resource: String
        let namespace: String?
        var name = ""
        var subresource = ""
        let collection: Bool
        switch route {
        case .pods(let routeNamespace), .events(let routeNamespace), .leases(let routeNamespace):
            (group, resource) = route == .leases(namespace: routeNamespace)
                ? ("coordination.k8s.io", "leases") : ("", route.resource ?? "")
            namespace = routeNamespace
            collection = true
        case .pod(let routeNamespace, let podName, let routeSubresource):
            (group, resource, namespace, name) = ("", "pods", routeNamespace, podName)
            subresource = routeSubresource ?? ""
            collection = false
        case .event(let routeNamespace, let eventName):
            (group, resource, namespace, name) = ("", "events", routeNamespace, eventName)
            collection = false
        case .lease(let routeNamespace, let leaseName):
            (group, resource, namespace, name) = ("coordination.k8s.io", "leases", routeNamespace, leaseName)
            collection = false
        default:
            return nil
        }
        let verb: String
        switch method {
        case .get, .head:
            if collection {
                verb = (try? query.bool("watch")) == true ? "watch" : "list"
                name = selectedName(query["fieldSelector"]) ?? ""
            } else {
                verb = "get"
            }
        case .post: verb = "create"
        case .put: verb = "update"
        case .patch: verb = "patch"
        case .delete: verb = collection ? "deletecollection" : "delete"
        default: verb = method.rawValue.lowercased()
        }
        return KubeSimRBAC.Request(
            verb: verb, apiGroup: group, resource: resource, subresource: subresource, namespace: namespace ?? "",
            name: name)
    }

    /// The name of a field selector's `metadata.name=X` (or `==`) requirement, as the request info takes it.
    static func selectedName(_ selector: String?) -> String? {
        guard let selector else { return nil }
        for requirement in selector.split(separator: ",") {
            let text = String(requirement).trimmingWhitespace
            for prefix in ["metadata.name==", "metadata.name="] where text.hasPrefix(prefix) {
                return String(text.dropFirst(prefix.count))
            }
        }
        return nil
    }

    /// Whether RBAC lets `identity` make the request; throws the API server's 403 when not.
    func authorize(
        _ identity: Authenticator.Identity, route: Route, method: HTTPRequest.Method, query: QueryParameters
    ) throws(APIError) {
        guard let rbac = configuration.rbac, case .user(let user) = identity,
            let request = Self.authorizationRequest(route: route, method: method, query: query)
        else { return }
        if case .deny(let message) = rbac.authorize(request, user: user) {
            throw APIError.forbidden(request, message: message)
        }
    }
}

extension APIError {
    /// 403 `Forbidden` with `details` {name, group, kind} as the API server's `NewForbidden`.
    static func forbidden(_ request: KubeSimRBAC.Request, message: String) -> APIError {
        var details: JSONObject = [:]
        if !request.name.isEmpty { details["name"] = .string(request.name) }
        if !request.apiGroup.isEmpty { details["group"] = .string(request.apiGroup) }
        details["kind"] = .string(request.resource)
        return APIError(code: 403, reason: "Forbidden", message: message, details: details)
    }
}
