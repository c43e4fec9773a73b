import JSON

extension TaskInstance {
    /// The `tasks` columns, in the order the store selects them.
    static let columns = """
        id, dag_id, task_id, run_id, map_index, try_number, command, image, namespace, pod_override, pod_template, \
        env, state, reason, pod_name, pod_namespace, controller_id, cancel_requested, \
        queued_at, launched_at, running_at, finished_at, updated_at, external_id, args, sensitive, change_seq
        """

    /// Reads a task from a row of ``columns``.
    init(row: SQLRow) throws(SQLError) {
        let id = try row.int64("id")
        let stateName = try row.string("state")
        guard let state = TaskState(rawValue: stateName) else {
            throw SQLError(
                kind: .decoding,
                message: "task \(id) has the unknown state '\(stateName)' (written by a newer taskpod?)"
            )
        }
        func strings(_ column: String) throws(SQLError) -> [String]? {
            guard let text = row.optionalString(column) else { return nil }
            guard let values = (try? JSONValue(parsing: text))?.arrayValue,
                  case let strings = values.compactMap(\.stringValue), strings.count == values.count
            else {
                throw SQLError(kind: .decoding, message: "task \(id) has a \(column) that is not a JSON array of strings")
            }
            return strings
        }
        guard let command = try strings("command") else { throw .decoding(column: "command", expected: "text") }
        let envJSON = try row.string("env")
        guard let envObject = (try? JSONValue(parsing: envJSON))?.objectValue else {
            throw SQLError(kind: .decoding, message: "task \(id) has an env that is not a JSON object")
        }
        var env: [String: String] = [:]
        for (name, value) in envObject {
            guard let value = value.stringValue else {
                throw SQLError(kind: .decoding, message: "task \(id) has a non-string value for env \(name)")
            }
            env[name] = value
        }
        func json(_ column: String) throws(SQLError) -> JSONValue? {
            guard let text = row.optionalString(column) else { return nil }
            do {
                return try JSONValue(parsing: text)
            } catch {
                throw SQLError(kind: .decoding, message: "task \(id) has a \(column) that is not JSON: \(error)")
            }
        }
        self.init(
            id: id,
            key: TaskKey(
                dagID: try row.string("dag_id"),
                taskID: try row.string("task_id"),
                runID: try row.string("run_id"),
                mapIndex: Int(try row.int64("map_index")),
                tryNumber: Int(try row.int64("try_number"))
            ),
            spec: TaskSpec(
                command: command,
                image: row.optionalString("image"),
                namespace: row.optionalString("namespace"),
                podOverride: try json("pod_override"),
                podTemplate: try json("pod_template"),
                env: env,
                sensitive: (row.optionalInt64("sensitive") ?? 0) != 0
            ),
            state: state,
            reason: row.optionalString("reason"),
            podName: row.optionalString("pod_name"),
            podNamespace: row.optionalString("pod_namespace"),
            controllerID: row.optionalString("controller_id"),
            cancelRequested: (row.optionalInt64("cancel_requested") ?? 0) != 0,
            queuedAt: try row.double("queued_at"),
            launchedAt: row.optionalDouble("launched_at"),
            runningAt: row.optionalDouble("running_at"),
            finishedAt: row.optionalDouble("finished_at"),
            updatedAt: try row.double("updated_at"),
            externalID: row.optionalString("external_id"),
            changeSeq: row.optionalInt64("change_seq") ?? 0
        )
        spec.args = try strings("args")
    }
}

extension TaskSpec {
    /// `command` as stored: a JSON array of strings.
    var commandJSON: String { JSONValue.array(command.map { .string($0) }).jsonString }

    /// `args` as stored: a JSON array of strings, or NULL.
    var argsJSON: String? { args.map { JSONValue.array($0.map { .string($0) }).jsonString } }

    /// `env` as stored: a JSON object, keys sorted so that equal environments store equal text.
    var envJSON: String {
        JSONValue.object(JSONObject(env.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) }))
            .jsonString
    }
}

extension TaskEvent {
    static let columns = "at, from_state, to_state, reason, controller_id, pod_name, node"

    init(row: SQLRow) throws(SQLError) {
        let toName = try row.string("to_state")
        guard let to = TaskState(rawValue: toName) else {
            throw SQLError(kind: .decoding, message: "an event has the unknown state '\(toName)'")
        }
        let fromName = row.optionalString("from_state")
        let from = fromName.flatMap(TaskState.init(rawValue:))
        if let fromName, from == nil {
            throw SQLError(kind: .decoding, message: "an event has the unknown state '\(fromName)'")
        }
        self.init(
            at: try row.double("at"),
            from: from,
            to: to,
            reason: row.optionalString("reason"),
            controllerID: row.optionalString("controller_id"),
            podName: row.optionalString("pod_name"),
            node: row.optionalString("node")
        )
    }
}

extension ControllerRecord {
    static let columns = "id, host, started_at, heartbeat_at, stopped_at"

    init(row: SQLRow) throws(SQLError) {
        self.init(
            id: try row.string("id"),
            host: row.optionalString("host"),
            startedAt: try row.double("started_at"),
            heartbeatAt: try row.double("heartbeat_at"),
            stoppedAt: row.optionalDouble("stopped_at")
        )
    }
}
