import Hummingbird
import JSON
import Logging

/// KubeSim's own endpoints, outside the Kubernetes API (never authenticated, faulted or audited):
/// `GET /kubesim/faults` shows the faults in force, `PUT` replaces them (absent keys turn off), `POST` changes
/// only the keys given; `GET /kubesim/audit` returns the audit entries as `{"items": […]}`.
extension APIResponder {
    func control(_ request: inout Request, route: Route) async -> Response {
        switch (route, request.method) {
        case (.audit, .get):
            return Self.json(["kind": "AuditEntryList", "items": .array(audit.entries)], code: 200)
        case (.faults, .get):
            return Self.json(faults.json(), code: 200)
        case (.faults, .put), (.faults, .post):
            do throws(APIError) {
                let body = try await Self.body(of: &request)
                guard let value = try? JSONValue(parsing: body) else {
                    throw APIError.badRequest("the faults must be a JSON object: \(Self.summary(body))")
                }
                let merging = request.method == .post
                let updated: KubeSimFaults
                do throws(KubeSimError) {
                    updated = try KubeSimFaults(json: value, base: merging ? faults.faults : KubeSimFaults())
                } catch {
                    throw APIError.badRequest(error.message)
                }
                Self.apply(
                    updated, to: faults, store: store, configuration: configuration,
                    restartThrottle: !merging || value["throttle"] != nil,
                    startDowntime: !merging || value["downtimeSeconds"] != nil)
                logger.info("Faults changed", metadata: ["kubesim.faults": "\(updated.json.jsonString)"])
                return Self.json(faults.json(), code: 200)
            } catch {
                return Self.json(error.status, code: error.code)
            }
        default:
            return Self.json(APIError.methodNotAllowed.status, code: 405)
        }
    }

    /// Puts `updated` in force: the injector's clocks and the store's history window.
    static func apply(
        _ updated: KubeSimFaults, to injector: FaultInjector, store: PodStore, configuration: KubeSimConfiguration,
        restartThrottle: Bool = true, startDowntime: Bool = true
    ) {
        store.setHistoryWindow(updated.historyWindow ?? configuration.historyWindow)
        injector.set(updated, restartThrottle: restartThrottle, startDowntime: startDowntime)
    }
}
