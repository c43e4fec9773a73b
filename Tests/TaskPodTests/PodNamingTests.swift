import Foundation
import JSON
import TaskPod
import TaskStore
import Testing

@Suite("Pods: names and labels")
struct PodNamingTests {
    /// A deterministic generator of awkward keys: Unicode, punctuation, long ids, near-duplicates.
    struct KeyGenerator {
        var state: UInt64

        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 17
        }

        static let alphabet: [String] = [
            "a", "b", "z", "A", "Z", "0", "9", "_", "-", ".", ":", "+", "/", " ", "é", "日", "本", "🙂", "__", "--", "T",
        ]

        mutating func text(maxLength: Int) -> String {
            let length = Int(next() % UInt64(maxLength + 1))
            return (0..<length).map { _ in Self.alphabet[Int(next() % UInt64(Self.alphabet.count))] }.joined()
        }

        mutating func key() -> TaskKey {
            let lengths = [3, 12, 90, 300]
            return TaskKey(
                dagID: text(maxLength: lengths[Int(next() % 4)]) + "d", taskID: text(maxLength: lengths[Int(next() % 4)]),
                runID: text(maxLength: lengths[Int(next() % 4)]), mapIndex: Int(next() % 5) - 1, tryNumber: Int(next() % 4) + 1)
        }
    }

    @Test("pod names are valid DNS-1123 labels, deterministic, and distinct for distinct keys (2000 random keys)")
    func podNameProperties() {
        var generator = KeyGenerator(state: 42)
        var seen: [String: TaskKey] = [:]
        for _ in 0..<2000 {
            let key = generator.key()
            let name = PodNaming.podName(for: key)
            #expect(PodValidation.isDNS1123Label(name), "\(key) → \(name)")
            #expect(name == PodNaming.podName(for: key))
            if let other = seen[name], other != key { Issue.record("\(key) and \(other) share the name \(name)") }
            seen[name] = key
        }
    }

    @Test("keys that differ only in the try, the map index, or where the fields split get different names")
    func podNameNearMisses() {
        let key = TaskKey(dagID: "etl_daily", taskID: "load.users", runID: "r1", mapIndex: 3, tryNumber: 2)
        var variants = [key]
        var other = key
        other.tryNumber = 3
        variants.append(other)
        other = key
        other.mapIndex = -1
        variants.append(other)
        variants.append(TaskKey(dagID: "etl_daily-load", taskID: "users", runID: "r1", mapIndex: 3, tryNumber: 2))
        variants.append(TaskKey(dagID: "etl_daily", taskID: "load.users", runID: "r13", mapIndex: -1, tryNumber: 2))
        variants.append(TaskKey(dagID: "ETL_DAILY", taskID: "load.users", runID: "r1", mapIndex: 3, tryNumber: 2))
        let names = variants.map(PodNaming.podName(for:))
        #expect(Set(names).count == variants.count, "\(names)")
        #expect(names[0].hasPrefix("etl-daily-load-users-"))
        #expect(names[0].count == "etl-daily-load-users-".count + 16)
        let long = PodNaming.podName(for: TaskKey(dagID: String(repeating: "D", count: 200), taskID: "__x__", runID: "r"))
        #expect(long.count == 63)
        #expect(PodNaming.podName(for: TaskKey(dagID: "日本", taskID: "---", runID: "r")).hasPrefix("task-"))
    }

    @Test("label values are valid, deterministic, and distinct for distinct inputs once cut (2000 random values)")
    func labelProperties() {
        var generator = KeyGenerator(state: 7)
        var seen: [String: String] = [:]
        for _ in 0..<2000 {
            let value = generator.text(maxLength: [5, 40, 70, 200][Int(generator.next() % 4)])
            let label = PodNaming.safeLabelValue(value)
            #expect(PodValidation.isLabelValue(label), "\(value) → \(label)")
            #expect(label == PodNaming.safeLabelValue(value))
            if let other = seen[label], other != value { Issue.record("\(value) and \(other) share the label \(label)") }
            seen[label] = value
        }
    }

    @Test("label values are exactly Airflow's make_safe_label_value (run by Python), but always valid")
    func airflowLabels() async throws {
        var generator = KeyGenerator(state: 99)
        var values = [
            "load_users", "scheduled__2026-11-22T00:00:00+00:00", String(repeating: "a", count: 63), String(repeating: "a", count: 64),
            "-x-", "x.", "a+-", "é-a", "__init__", "manual__2026-01-01T00:00:00.123456+00:00", "日本", "", "a b", "a\nb",
        ]
        for _ in 0..<500 { values.append(generator.text(maxLength: [5, 40, 80][Int(generator.next() % 3)])) }
        // airflow.providers.cncf.kubernetes.pod_generator_deprecated / kubernetes_helper_functions, verbatim.
        let script = """
            import hashlib, json, re, sys
            MAX_LABEL_LEN = 63
            def make_safe_label_value(string):
                safe_label = re.sub(r"^[^a-z0-9A-Z]*|[^a-zA-Z0-9_\\-\\.]|[^a-z0-9A-Z]*$", "", string)
                if len(safe_label) > MAX_LABEL_LEN or string != safe_label:
                    safe_hash = hashlib.md5(string.encode()).hexdigest()[:9]
                    safe_label = safe_label[: MAX_LABEL_LEN - len(safe_hash) - 1] + "-" + safe_hash
                return safe_label
            print(json.dumps([make_safe_label_value(v) for v in json.load(sys.stdin)]))
            """
        let airflow = try await PodRenderTools.python(script, input: .array(values.map { .string($0) }))
        let expected = try #require(airflow.arrayValue).map { $0.stringValue ?? "" }
        #expect(expected.count == values.count)
        for (value, theirs) in zip(values, expected) {
            let ours = PodNaming.safeLabelValue(value)
            if theirs.hasPrefix("-") {
                // Airflow's label would be invalid (nothing of the value survived): taskpod keeps the hash alone.
                #expect(ours == String(theirs.dropFirst()), "\(value.debugDescription)")
            } else {
                #expect(ours == theirs, "\(value.debugDescription)")
            }
        }
    }
}
