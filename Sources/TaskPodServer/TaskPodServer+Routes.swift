import Hummingbird
import JSON
import NIOCore
import TaskPod
import TaskStore

extension TaskPodServer {
    /// The largest request body: a full batch of tasks with their overrides.
    static let maxBodyBytes = 16 << 20
    /// The default and the largest `limit` of a list.
    static let defaultLimit = 100
    static let maxLimit = 1_000

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.middlewares.add(MethodNotAllowedMiddleware([
            ("/healthz", [.get]), ("/readyz", [.get]), ("/metrics", [.get]),
            ("/openapi.yaml", [.get]), ("/api/v1/tasks", [.get, .post]), ("/api/v1/tasks/batch", [.post]),
            ("/api/v1/tasks/{id}", [.get]), ("/api/v1/tasks/{id}/log", [.get]),
            ("/api/v1/tasks/{id}/cancel", [.post]), ("/api/v1/render", [.post]),
        ]))
        router.middlewares.add(BearerAuthMiddleware(tokens: tokens))
        router.get("/healthz") { _, _ in
            guard let probes = self.probes else { return APIResponse.text(.ok, "ok\n") }
            let (ok, body) = probes.liveness()
            return APIResponse.text(ok ? .ok : .serviceUnavailable, body + "\n")
        }
        router.get("/readyz") { _, _ in
            guard let probes = self.probes else { return APIResponse.text(.ok, "ok\n") }
            let (ready, body) = await probes.readiness()
            return APIResponse.text(ready ? .ok : .serviceUnavailable, body + "\n")
        }
        router.get("/openapi.yaml") { _, _ in APIResponse.text(.ok, OpenAPIDocument.yaml, contentType: "application/yaml") }
        router.get("/metrics") { _, _ in try await self.metrics() }
        router.post("/api/v1/tasks") { request, _ in try await APIResponse.answering { try await self.submit(request) } }
        router.post("/api/v1/tasks/batch") { request, _ in
            try await APIResponse.answering { try await self.submitBatch(request) }
        }
        router.get("/api/v1/tasks") { request, _ in try await self.list(request) }
        router.get("/api/v1/tasks/{id}") { _, context in
            try await self.withTaskID(context) { id in try await self.show(id) }
        }
        router.get("/api/v1/tasks/{id}/log") { request, context in
            try await self.withTaskID(context) { id in try await self.log(id, request) }
        }
        router.post("/api/v1/tasks/{id}/cancel") { _, context in
            try await self.withTaskID(context) { id in try await self.cancel(id) }
        }
        router.post("/api/v1/render") { request, _ in try await APIResponse.answering { try await self.render(request) } }
        return router
    }

    private func withTaskID(_ context: BasicRequestContext, _ body: (Int64) async throws -> Response)
        async throws -> Response
    {
        guard let id = context.parameters.get("id", as: Int64.self), id > 0 else {
            return APIResponse.problem(.notFound, field: "id", "a task id is a positive integer")
        }
        return try await body(id)
    }

    /// The request's JSON body.
    ///
    /// - Throws: ``APIRefusal`` (413, 422) for a body too large or not JSON.
    private func body(_ request: Request) async throws -> JSONValue {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: Self.maxBodyBytes)
        } catch {
            throw APIRefusal(.contentTooLarge, field: "body", "is larger than \(Self.maxBodyBytes) bytes; send smaller batches")
        }
        do {
            return try JSONValue(parsing: buffer.readableBytesView)
        } catch {
            throw APIRefusal(.unprocessableContent, field: "body", "is not JSON: \(error)")
        }
    }

    /// A parsed submission checked against the controller's template and defaults, or its problems.
    private func check(_ value: JSONValue, prefix: String = "") -> Result<TaskSubmission, APIRefusal> {
        SubmissionParser.parse(value, prefix: prefix).flatMap { submission in
            let problems = builder.problems(key: submission.key, spec: submission.spec)
            guard problems.isEmpty else {
                return .failure(APIRefusal(problems.map { FieldProblem(field: prefix + $0.field, message: $0.message) }))
            }
            return .success(submission)
        }
    }

    // MARK: Handlers

    func submit(_ request: Request) async throws -> Response {
        let submission = try check(try await body(request)).get()
        let (status, result) = outcome(try await store.submit(submission))
        if status == .created { tasksArrived() }
        return APIResponse.json(status, result)
    }

    /// The status and body of one submission's outcome.
    private func outcome(_ outcome: SubmitOutcome) -> (HTTPResponse.Status, JSONValue) {
        switch outcome {
        case .created(let task):
            return (.created, ["task": TaskJSON.task(task)])
        case .existing(let task):
            return (.ok, ["task": TaskJSON.task(task)])
        case .conflict(let task):
            var body = TaskJSON.errors([FieldProblem(
                field: "external_id",
                message: "task \(task.id) has the same dag_id, task_id, run_id, map_index and try_number but "
                    + (task.externalID.map { "the external_id \($0)" } ?? "no external_id")
            )])
            body["task"] = TaskJSON.task(task)
            return (.conflict, body)
        case .invalid(let error):
            return (.unprocessableContent, TaskJSON.errors([FieldProblem(field: "body", message: error.message)]))
        }
    }

    func submitBatch(_ request: Request) async throws -> Response {
        let value = try await body(request)
        guard let items = value["tasks"]?.arrayValue else {
            return APIResponse.problem(.unprocessableContent, field: "tasks", "is required: an array of tasks")
        }
        guard items.count <= TaskStore.maxBatchSize else {
            return APIResponse.problem(
                .unprocessableContent, field: "tasks",
                "holds \(items.count) tasks; send at most \(TaskStore.maxBatchSize) per batch")
        }
        var results = [JSONValue?](repeating: nil, count: items.count)
        var valid: [(Int, TaskSubmission)] = []
        for (index, item) in items.enumerated() {
            switch check(item, prefix: "tasks[\(index)].") {
            case .failure(let refusal):
                var result = TaskJSON.errors(refusal.problems)
                result["status"] = 422
                results[index] = result
            case .success(let submission):
                valid.append((index, submission))
            }
        }
        let outcomes = try await store.submit(batch: valid.map(\.1))
        var created = false
        for ((index, _), outcome) in zip(valid, outcomes) {
            let (status, body) = self.outcome(outcome)
            created = created || status == .created
            var result = body
            result["status"] = .int(Int64(status.code))
            results[index] = result
        }
        if created { tasksArrived() }
        return APIResponse.json(.ok, ["results": .array(results.map { $0 ?? .null })])
    }

    func list(_ request: Request) async throws -> Response {
        let parameters = Self.nonEmpty(request.uri.queryParameters)
        var query = TaskQuery(limit: Self.defaultLimit)
        var problems = Self.unknownParameters(
            request, known: ["state", "dag_id", "run_id", "external_id", "ids", "limit", "cursor", "updated_since"])
        for name in (parameters["state"] ?? "").split(separator: ",") {
            if let state = TaskState(rawValue: String(name)) {
                query.states.insert(state)
            } else {
                let known = TaskState.allCases.map(\.rawValue).joined(separator: ", ")
                problems.append(FieldProblem(field: "state", message: "\"\(name)\" is not a state; use one of \(known)"))
            }
        }
        query.dagID = parameters["dag_id"].map(String.init)
        query.runID = parameters["run_id"].map(String.init)
        query.externalID = parameters["external_id"].map(String.init)
        if let ids = parameters["ids"] {
            let parsed = ids.split(separator: ",").map { Int64($0) }
            if parsed.contains(nil) || parsed.count > Self.maxLimit {
                problems.append(FieldProblem(field: "ids", message: "must be up to \(Self.maxLimit) comma-separated task ids"))
            }
            query.ids = parsed.compactMap { $0 }
        }
        if let limit = parameters["limit"] {
            if let value = Int(limit), (1...Self.maxLimit).contains(value) {
                query.limit = value
            } else {
                problems.append(FieldProblem(field: "limit", message: "must be an integer from 1 to \(Self.maxLimit)"))
            }
        }
        if let cursor = parameters["cursor"] {
            if let id = Int64(cursor), id >= 0 {
                query.afterID = id
            } else {
                problems.append(FieldProblem(field: "cursor", message: "must be a next_cursor of an earlier answer"))
            }
        }
        if let since = parameters["updated_since"] {
            if let cursor = ChangeCursor(String(since)) {
                query.changedAfter = cursor
            } else {
                problems.append(FieldProblem(
                    field: "updated_since", message: "must be 0 or a next_cursor of an earlier updated_since answer"))
            }
            if query.afterID != nil {
                problems.append(FieldProblem(
                    field: "cursor", message: "cannot be combined with updated_since; page with updated_since alone"))
            }
        }
        guard problems.isEmpty else { return APIResponse.problems(.unprocessableContent, problems) }
        let tasks = try await store.tasks(query)
        let next: JSONValue
        if let since = query.changedAfter {
            // Always a cursor: the client polls on from it; unchanged when nothing changed.
            next = .string((tasks.last.map(ChangeCursor.init(after:)) ?? since).description)
        } else {
            next = tasks.count == query.limit ? tasks.last.map { .string(String($0.id)) } ?? .null : .null
        }
        return APIResponse.json(.ok, ["tasks": .array(tasks.map(TaskJSON.task)), "next_cursor": next])
    }

    /// A problem for each query parameter the endpoint does not know: a misspelt filter is not silently ignored.
    static func unknownParameters(_ request: Request, known: Set<Substring>) -> [FieldProblem] {
        request.uri.queryParameters.map(\.key).filter { !known.contains($0) }.map { name in
            FieldProblem(field: String(name), message: "is not a parameter here; use \(known.sorted().joined(separator: ", "))")
        }
    }

    /// The query's parameters, the last of each name, without the empty ones: `cursor=` is no cursor.
    static func nonEmpty(_ parameters: some Sequence<(key: Substring, value: Substring)>) -> [Substring: Substring] {
        var kept: [Substring: Substring] = [:]
        for (name, value) in parameters where !value.isEmpty { kept[name] = value }
        return kept
    }

    func show(_ id: Int64) async throws -> Response {
        guard let task = try await store.task(id: id) else { return APIResponse.notFound(id) }
        var body = TaskJSON.task(task)
        body["events"] = .array(try await store.events(id: id).map(TaskJSON.event))
        return APIResponse.json(.ok, ["task": body])
    }

    func cancel(_ id: Int64) async throws -> Response {
        guard let task = try await store.requestCancel(id: id) else { return APIResponse.notFound(id) }
        if !task.state.isFinal { cancelRequested(id) }
        return APIResponse.json(.ok, ["task": TaskJSON.task(task)])
    }

    func render(_ request: Request) async throws -> Response {
        let submission = try check(try await body(request)).get()
        let pod = try builder.build(id: 0, key: submission.key, spec: submission.spec, template: submission.spec.podTemplate)
        return APIResponse.json(.ok, ["pod": TaskJSON.pod(pod, spec: submission.spec)])
    }

    func metrics() async throws -> Response {
        if let probes { return APIResponse.text(.ok, probes.metrics(), contentType: probes.metricsContentType) }
        let counts = try await store.counts()
        var text = "# HELP taskpod_tasks Tasks in the store by state.\n# TYPE taskpod_tasks gauge\n"
        for state in TaskState.allCases {
            text += "taskpod_tasks{state=\"\(state.rawValue)\"} \(counts[state] ?? 0)\n"
        }
        return APIResponse.text(.ok, text, contentType: "text/plain; version=0.0.4")
    }
}
