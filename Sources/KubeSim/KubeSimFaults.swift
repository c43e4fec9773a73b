import JSON

/// Faults a ``KubeSim`` injects into API requests: latency, error rates per verb, a 429 storm, dropped watches,
/// a shrunk history window and downtime. Set them in ``KubeSimConfiguration/faults``, with
/// ``KubeSim/setFaults(_:)``, or as JSON through `PUT /kubesim/faults`:
///
/// ```json
/// {"latencyMilliseconds": 50, "jitterMilliseconds": 20,
///  "errors": [{"verb": "create", "rate": 0.1, "code": 503}],
///  "throttle": {"seconds": 5, "retryAfterSeconds": 1},
///  "dropWatchesEverySeconds": 2, "historyWindow": 3, "downtimeSeconds": 2}
/// ```
///
/// The `/kubesim/` endpoints themselves are never faulted.
public struct KubeSimFaults: Sendable, Equatable {
    /// A share of the requests of one verb (and optionally one resource) answered with an error status.
    public struct ErrorRule: Sendable, Equatable {
        /// `create`, `get`, `list`, `watch`, `update`, `patch`, `delete`, `deletecollection`, or `*` for any.
        public var verb: String
        /// `pods`, `leases`, … or `nil` for any resource.
        public var resource: String?
        /// From 0 (never) to 1 (every request).
        public var rate: Double
        /// The HTTP status, answered with the API server's `Status` body for it (429 also with `Retry-After`).
        public var code: Int

        public init(verb: String, resource: String? = nil, rate: Double, code: Int) {
            self.verb = verb
            self.resource = resource
            self.rate = rate
            self.code = code
        }

        /// Parses `VERB=RATE:CODE` (`create=0.1:503`, `*=0.05:500`, `pods/list=1:429`).
        ///
        /// - Throws: ``KubeSimError`` with code `invalidFault` naming the part that is wrong.
        public init(parsing text: String) throws(KubeSimError) {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            let values = parts.count == 2 ? parts[1].split(separator: ":").map(String.init) : []
            guard parts.count == 2, values.count == 2, let rate = Double(values[0]), let code = Int(values[1]) else {
                throw KubeSimError(
                    .invalidFault, "the error rule \(text.quoted) is not VERB=RATE:CODE, e.g. create=0.1:503")
            }
            let target = parts[0].split(separator: "/", maxSplits: 1).map(String.init)
            self.init(
                verb: target.count == 2 ? target[1] : target[0], resource: target.count == 2 ? target[0] : nil,
                rate: rate, code: code)
            try validate()
        }

        func validate() throws(KubeSimError) {
            guard rate >= 0, rate <= 1 else {
                throw KubeSimError(.invalidFault, "the error rate for \(verb) must be between 0 and 1, not \(rate)")
            }
            guard (400...599).contains(code) else {
                throw KubeSimError(.invalidFault, "the error code for \(verb) must be 400-599, not \(code)")
            }
        }
    }

    /// A 429 storm: every API request is answered 429 `TooManyRequests` with `Retry-After` for `seconds` from
    /// the moment it is set.
    public struct Throttle: Sendable, Equatable {
        public var seconds: Double
        public var retryAfterSeconds: Int

        public init(seconds: Double, retryAfterSeconds: Int = 1) {
            self.seconds = seconds
            self.retryAfterSeconds = retryAfterSeconds
        }
    }

    /// Added to every API request before it is served.
    public var latency: Duration = .zero
    /// Up to this much more, at random.
    public var jitter: Duration = .zero
    public var errors: [ErrorRule] = []
    public var throttle: Throttle? = nil
    /// Cut every open watch's connection mid-stream this often.
    public var dropWatchesEvery: Duration? = nil
    /// Keep only this many change events (shrinking compacts at once: older watches and continue tokens get 410).
    public var historyWindow: Int? = nil
    /// Stop listening for this long from the moment it is set (clients get connection refused), then listen again
    /// on the same port. Open watches and log streams are cut.
    public var downtime: Duration? = nil

    public init(
        latency: Duration = .zero, jitter: Duration = .zero, errors: [ErrorRule] = [], throttle: Throttle? = nil,
        dropWatchesEvery: Duration? = nil, historyWindow: Int? = nil, downtime: Duration? = nil
    ) {
        self.latency = latency
        self.jitter = jitter
        self.errors = errors
        self.throttle = throttle
        self.dropWatchesEvery = dropWatchesEvery
        self.historyWindow = historyWindow
        self.downtime = downtime
    }
}

extension KubeSimFaults {
    /// The JSON form served by `GET /kubesim/faults`.
    public var json: JSONValue {
        var object: JSONObject = [
            "latencyMilliseconds": .double(Self.milliseconds(latency)),
            "jitterMilliseconds": .double(Self.milliseconds(jitter)),
            "errors": .array(errors.map { rule in
                var entry: JSONObject = ["verb": .string(rule.verb)]
                if let resource = rule.resource { entry["resource"] = .string(resource) }
                entry["rate"] = .double(rule.rate)
                entry["code"] = .int(Int64(rule.code))
                return .object(entry)
            }),
        ]
        if let throttle {
            object["throttle"] = [
                "seconds": .double(throttle.seconds), "retryAfterSeconds": .int(Int64(throttle.retryAfterSeconds)),
            ]
        }
        if let dropWatchesEvery { object["dropWatchesEverySeconds"] = .double(Self.seconds(dropWatchesEvery)) }
        if let historyWindow { object["historyWindow"] = .int(Int64(historyWindow)) }
        if let downtime { object["downtimeSeconds"] = .double(Self.seconds(downtime)) }
        return .object(object)
    }

    /// Reads the JSON form; absent keys keep their value in `base`, `null` turns a fault off.
    ///
    /// - Throws: ``KubeSimError`` with code `invalidFault` naming the field.
    public init(json: JSONValue, base: KubeSimFaults = KubeSimFaults()) throws(KubeSimError) {
        guard let object = json.objectValue else {
            throw KubeSimError(.invalidFault, "the faults must be a JSON object, not \(json.kindName)")
        }
        self = base
        let known: Set<String> = [
            "latencyMilliseconds", "jitterMilliseconds", "errors", "throttle", "dropWatchesEverySeconds",
            "historyWindow", "downtimeSeconds",
        ]
        for key in object.keys where !known.contains(key) {
            throw KubeSimError(
                .invalidFault,
                "unknown field \(key.quoted); known: \(known.sorted().joined(separator: ", "))")
        }
        func number(_ key: String) throws(KubeSimError) -> Double? {
            guard let value = object[key], !value.isNull else { return nil }
            guard let number = value.doubleValue, number >= 0, number.isFinite else {
                throw KubeSimError(.invalidFault, "\(key) must be a number of at least 0")
            }
            return number
        }
        if object["latencyMilliseconds"] != nil { latency = Self.duration(milliseconds: try number("latencyMilliseconds") ?? 0) }
        if object["jitterMilliseconds"] != nil { jitter = Self.duration(milliseconds: try number("jitterMilliseconds") ?? 0) }
        if let value = object["errors"] {
            errors = []
            for (index, entry) in (value.isNull ? [] : value.arrayValue ?? [.null]).enumerated() {
                guard let verb = entry["verb"]?.stringValue, let rate = entry["rate"]?.doubleValue,
                    let code = entry["code"]?.intValue
                else {
                    throw KubeSimError(
                        .invalidFault, "errors[\(index)] needs verb (string), rate (0-1) and code (400-599)")
                }
                let rule = ErrorRule(
                    verb: verb, resource: entry["resource"]?.stringValue, rate: rate, code: Int(clamping: code))
                try rule.validate()
                errors.append(rule)
            }
        }
        if let value = object["throttle"] {
            if value.isNull {
                throttle = nil
            } else {
                guard let seconds = value["seconds"]?.doubleValue, seconds >= 0 else {
                    throw KubeSimError(.invalidFault, "throttle.seconds must be a number of at least 0")
                }
                let retryAfter = value["retryAfterSeconds"]?.intValue ?? 1
                throttle = Throttle(seconds: seconds, retryAfterSeconds: Int(clamping: max(0, retryAfter)))
            }
        }
        if object["dropWatchesEverySeconds"] != nil {
            dropWatchesEvery = try number("dropWatchesEverySeconds").flatMap { $0 > 0 ? Self.duration(seconds: $0) : nil }
        }
        if let value = object["historyWindow"] {
            if value.isNull {
                historyWindow = nil
            } else {
                guard let window = value.intValue, window >= 1 else {
                    throw KubeSimError(.invalidFault, "historyWindow must be an integer of at least 1")
                }
                historyWindow = Int(clamping: window)
            }
        }
        if object["downtimeSeconds"] != nil {
            downtime = try number("downtimeSeconds").flatMap { $0 > 0 ? Self.duration(seconds: $0) : nil }
        }
    }

    static func duration(seconds: Double) -> Duration { .nanoseconds(Int64(seconds * 1e9)) }
    static func duration(milliseconds: Double) -> Duration { .nanoseconds(Int64(milliseconds * 1e6)) }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func milliseconds(_ duration: Duration) -> Double { seconds(duration) * 1000 }
}
