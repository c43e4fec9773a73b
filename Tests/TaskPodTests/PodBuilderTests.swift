import Foundation
import JSON
import PodSchema
import TaskPod
import TaskStore
import Testing
import YAML

@Suite("Pods: template, generated part, pod_override")
struct PodBuilderTests {
    static let key = TaskKey(dagID: "etl_daily", taskID: "load.users", runID: "scheduled__2026-11-22T00:00:00+00:00", mapIndex: 3, tryNumber: 2)
    var key: TaskKey { Self.key }

    static let sidecarTemplate: JSONValue = [
        "apiVersion": "v1", "kind": "Pod",
        "metadata": ["labels": ["team": "data"], "annotations": ["owner": "data-eng"]],
        "spec": [
            "containers": [
                ["name": "sidecar", "image": "envoy"],
                ["name": "base", "image": "python:3.12", "resources": ["requests": ["cpu": "100m", "memory": "128Mi"]]],
            ],
            "tolerations": [["key": "a", "operator": "Exists"]],
        ],
    ]

    /// The Pods these tests render successfully, for the kubernetes-validate check.
    static func renderedPods() throws -> [JSONValue] {
        let plain = PodBuilder(defaultNamespace: "jobs", defaultImage: "python:3.12", controllerID: "ctl-1")
        let sidecar = PodBuilder(template: sidecarTemplate, defaultNamespace: "default", defaultImage: nil, controllerID: "c")
        let unmapped = TaskKey(dagID: "日本", taskID: "---", runID: "manual__x", mapIndex: -1, tryNumber: 1)
        return [
            try plain.build(id: 42, key: key, spec: TaskSpec(command: ["python", "-c", "print(1)"], env: ["A": "1"])),
            try plain.build(id: 43, key: unmapped, spec: TaskSpec(command: [])),
            try sidecar.build(id: 1, key: key, spec: TaskSpec(command: ["true"], podOverride: overrideExample)),
            try plain.build(id: 2, key: key, spec: TaskSpec(command: ["true"]), template: noBaseTemplate),
            try plain.build(id: 3, key: key, spec: TaskSpec(command: ["x"], image: "t:1", podOverride: ["metadata": ["namespace": "team-a"]])),
            try sidecar.build(id: 4, key: unmapped, spec: TaskSpec(command: ["x"], namespace: "team-b")),
        ]
    }

    static let overrideExample: JSONValue = [
        "metadata": ["labels": ["size": "big"]],
        "spec": [
            "containers": [["name": "base", "resources": ["requests": ["memory": "2Gi"], "limits": ["memory": "4Gi"]]]],
            "tolerations": [["key": "gpu", "operator": "Exists"]],
        ],
    ]

    static let noBaseTemplate: JSONValue = [
        "apiVersion": "v1", "kind": "Pod",
        "spec": ["containers": [["name": "worker", "image": "example.com/worker:1"]]],
    ]

    @Test("the generated Pod: name, namespace, labels, raw annotations, base container command, image and env")
    func generated() throws {
        let builder = PodBuilder(defaultNamespace: "jobs", defaultImage: "python:3.12", controllerID: "ctl-1")
        let pod = try builder.build(id: 42, key: key, spec: TaskSpec(command: ["python", "-c", "print(1)"], env: ["A": "1"]))
        #expect(pod[path: "metadata", "name"]?.stringValue == PodNaming.podName(for: key))
        #expect(pod[path: "metadata", "namespace"] == "jobs")
        #expect(pod[path: "metadata", "labels", "airflow-worker"] == "ctl-1")
        #expect(pod[path: "metadata", "labels", "kubernetes_executor"] == "True")
        #expect(pod[path: "metadata", "labels", "map_index"] == "3")
        #expect(pod[path: "metadata", "labels", "try_number"] == "2")
        #expect(pod[path: "metadata", "labels", "task_id"] == "load.users")
        #expect(pod[path: "metadata", "labels", "run_id"]?.stringValue?.hasPrefix("scheduled__2026-11-22T0000000000-") == true)
        #expect(pod[path: "metadata", "annotations", "run_id"] == "scheduled__2026-11-22T00:00:00+00:00")
        #expect(pod[path: "metadata", "annotations", "taskpod.io/task-id"] == "42")
        let base = try #require(pod[path: "spec", "containers"]?.arrayValue?.first)
        #expect(base["name"] == "base")
        #expect(base["command"] == ["python", "-c", "print(1)"])
        #expect(base["image"] == "python:3.12")
        let env = base["env"]?.arrayValue ?? []
        #expect(env.contains(["name": "A", "value": "1"]))
        #expect(env.contains(["name": "TASKPOD_TASK_ID", "value": "42"]))
        #expect(env.contains(["name": "AIRFLOW_IS_K8S_EXECUTOR_POD", "value": "True"]))
    }

    @Test("the same task renders the same Pod")
    func deterministic() throws {
        let builder = PodBuilder(template: Self.sidecarTemplate, defaultNamespace: "d", defaultImage: nil, controllerID: "c")
        let spec = TaskSpec(command: ["x"], podOverride: Self.overrideExample)
        let first = try builder.build(id: 1, key: key, spec: spec)
        let second = try builder.build(id: 1, key: key, spec: spec)
        #expect(first.jsonString == second.jsonString)
    }

    @Test("image: the task's, else the configured one, else the template's")
    func imagePrecedence() throws {
        func image(task: String?, config: String?) throws -> JSONValue? {
            let builder = PodBuilder(template: Self.sidecarTemplate, defaultNamespace: "d", defaultImage: config, controllerID: "c")
            let pod = try builder.build(id: 1, key: key, spec: TaskSpec(command: ["x"], image: task))
            return pod[path: "spec", "containers"]?.arrayValue?.first { $0["name"] == "base" }?["image"]
        }
        #expect(try image(task: "t:1", config: "c:1") == "t:1")
        #expect(try image(task: nil, config: "c:1") == "c:1")
        #expect(try image(task: nil, config: nil) == "python:3.12")
    }

    @Test("a template without a base container gets one first; other containers stay as they are")
    func noBase() throws {
        let builder = PodBuilder(template: Self.noBaseTemplate, defaultNamespace: "d", defaultImage: "python:3.12", controllerID: "c")
        let pod = try builder.build(id: 1, key: key, spec: TaskSpec(command: ["run"]))
        let containers = pod[path: "spec", "containers"]?.arrayValue ?? []
        #expect(containers.map { $0["name"]?.stringValue } == ["base", "worker"])
        #expect(containers[1] == ["name": "worker", "image": "example.com/worker:1"])
        #expect(containers[0]["command"] == ["run"])
    }

    @Test("a task's own template replaces the configured one")
    func perTaskTemplate() throws {
        let builder = PodBuilder(template: Self.sidecarTemplate, defaultNamespace: "d", defaultImage: "python:3.12", controllerID: "c")
        let pod = try builder.build(id: 1, key: key, spec: TaskSpec(command: ["run"]), template: Self.noBaseTemplate)
        #expect(pod[path: "spec", "containers"]?.arrayValue?.map { $0["name"]?.stringValue } == ["base", "worker"])
        #expect(pod[path: "metadata", "labels", "team"] == nil)
        let error = #expect(throws: PodBuildError.self) {
            try builder.build(id: 1, key: key, spec: TaskSpec(command: ["run"]), template: ["kind": "Deployment"])
        }
        #expect(error?.message.contains("Deployment") == true)
    }

    @Test("the override merges containers by name and deep-merges resources; sidecars stay")
    func override() throws {
        let builder = PodBuilder(template: Self.sidecarTemplate, defaultNamespace: "default", defaultImage: nil, controllerID: "c")
        let pod = try builder.build(id: 1, key: key, spec: TaskSpec(command: ["true"], podOverride: Self.overrideExample))
        let containers = pod[path: "spec", "containers"]?.arrayValue ?? []
        #expect(containers.map { $0["name"]?.stringValue } == ["sidecar", "base"])
        #expect(containers[0]["image"] == "envoy")
        #expect(containers[1][path: "resources", "requests", "cpu"] == "100m", "kept from the template")
        #expect(containers[1][path: "resources", "requests", "memory"] == "2Gi")
        #expect(containers[1][path: "resources", "limits", "memory"] == "4Gi")
        #expect(pod[path: "spec", "tolerations"] == [["key": "gpu", "operator": "Exists"]], "lists without a merge key are replaced")
        #expect(pod[path: "metadata", "labels", "team"] == "data")
        #expect(pod[path: "metadata", "labels", "size"] == "big")
    }

    @Test("the override may move the Pod to another namespace, unless the task names one")
    func namespace() throws {
        let builder = PodBuilder(defaultNamespace: "jobs", defaultImage: "x", controllerID: "c")
        let moved = try builder.build(id: 1, key: key, spec: TaskSpec(command: ["x"], podOverride: ["metadata": ["namespace": "team-a"]]))
        #expect(moved[path: "metadata", "namespace"] == "team-a")
        let error = #expect(throws: PodBuildError.self) {
            try builder.build(id: 1, key: key, spec: TaskSpec(command: ["x"], namespace: "team-b", podOverride: ["metadata": ["namespace": "team-a"]]))
        }
        #expect(error?.field == "metadata.namespace")
    }

    @Test("templates: one Pod in YAML, a clear error for anything else")
    func templateFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("taskpod-templates-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func load(_ text: String) throws -> JSONValue {
            let file = directory.appendingPathComponent("\(UUID().uuidString).yaml")
            try Data(text.utf8).write(to: file)
            return try PodBuilder.loadTemplate(path: file.path)
        }
        let pod = try load("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: base\n    image: python:3.12\n")
        #expect(pod[path: "spec", "containers"]?.arrayValue?.count == 1)
        let cases: [(String, String)] = [
            ("", "is empty"),
            ("kind: Pod\n---\nkind: Pod\n", "holds 2 YAML documents"),
            ("apiVersion: v1\nkind: List\nitems: []\n", "is a List"),
            ("- a\n- b\n", "not array"),
            ("kind: Pod\nspec: {containers: [{name: base, imagePullPolicy: Always, resource: {}}]}\n", "did you mean \"resources\""),
            ("kind: Pod\nspec: {containers: [{name: base, $patch: delete}]}\n", "belongs in a pod_override"),
            ("kind: Pod\nspec: [\n", "is not valid YAML"),
        ]
        for (text, expected) in cases {
            let error = #expect(throws: PodBuildError.self) { try load(text) }
            #expect(error?.description.contains(expected) == true, "\(text): \(error.map { "\($0)" } ?? "")")
        }
        #expect(throws: PodBuildError.self) { try PodBuilder.loadTemplate(path: directory.appendingPathComponent("missing.yaml").path) }
    }

    struct Invalid: Sendable, CustomStringConvertible {
        var override: JSONValue
        var field: String
        var message: String
        var description: String { field }
    }

    static let invalid: [Invalid] = [
        Invalid(override: ["spec": ["containers": [["name": "base", "resources": ["requests": ["memory": "1.5Gb"]]]]]],
                field: "spec.containers[base].resources.requests.memory", message: "did you mean G or Gi?"),
        Invalid(override: ["spec": ["containers": [["name": "base", "resources": ["requests": ["cpu": "2"], "limits": ["cpu": "1"]]]]]],
                field: "spec.containers[base].resources.requests.cpu", message: "above the limit"),
        Invalid(override: ["spec": ["containers": [["name": "base", "resources": ["limits": ["nvidia.com/gpu": "0.5"]]]]]],
                field: "spec.containers[base].resources.limits.nvidia.com/gpu", message: "whole number"),
        Invalid(override: ["spec": ["containers": [["name": "base", "resources": ["requests": ["nvidia.com/gpu": 1]]]]]],
                field: "spec.containers[base].resources.limits.nvidia.com/gpu", message: "cannot be overcommitted"),
        Invalid(override: ["spec": ["containers": [["name": "base", "resources": ["requests": ["nvidia.com/gpu": 1], "limits": ["nvidia.com/gpu": 2]]]]]],
                field: "spec.containers[base].resources.requests.nvidia.com/gpu", message: "must equal"),
        Invalid(override: ["spec": ["containers": [["name": "base", "resources": ["limits": ["cpus": "1"]]]]]],
                field: "spec.containers[base].resources.limits.cpus", message: "did you mean \"cpu\""),
        Invalid(override: ["spec": ["containers": [["name": "base", "resources": ["limits": ["memory": "-1Gi"]]]]]],
                field: "spec.containers[base].resources.limits.memory", message: "negative"),
        Invalid(override: ["metadata": ["labels": ["x": 5]]], field: "metadata.labels.x", message: "must be a string"),
        Invalid(override: ["metadata": ["labels": ["team": "data science"]]], field: "metadata.labels.team", message: "not a valid label value"),
        Invalid(override: ["metadata": ["labels": ["-bad": "x"]]], field: "metadata.labels.-bad", message: "not a valid label key"),
        Invalid(override: ["metadata": ["annotations": ["a/b/c": "x"]]], field: "metadata.annotations.a/b/c", message: "not a valid annotation key"),
        Invalid(override: ["spec": ["containers": [["name": "Side_Car", "image": "x"]]]], field: "spec.containers[Side_Car].name",
                message: "not a valid container name"),
        Invalid(override: ["spec": ["containers": [["name": "base", "image": nil]]]], field: "spec.containers[base].image",
                message: "is required"),
        Invalid(override: ["spec": ["containers": [["name": "base", "resource": ["limits": ["cpu": "1"]]]]]],
                field: "spec.containers[base].resource", message: "did you mean \"resources\""),
        Invalid(override: ["spec": ["node_selector": ["disk": "ssd"]]], field: "spec.node_selector", message: "did you mean \"nodeSelector\""),
        Invalid(override: ["spec": ["containers": [["name": "base", "limits": ["cpu": "1"]]]]], field: "spec.containers[base].limits",
                message: "resources.limits"),
        Invalid(override: ["spec": ["containers": [["name": "base", "args": "--full"]]]], field: "spec.containers[base].args",
                message: "must be a list of strings"),
        Invalid(override: ["spec": ["activeDeadlineSeconds": "1h"]], field: "spec.activeDeadlineSeconds", message: "must be an integer"),
        Invalid(override: ["spec": ["hostNetwork": "yes"]], field: "spec.hostNetwork", message: "must be a boolean"),
        Invalid(override: ["spec": ["containers": [["image": "x"]]]], field: "spec.containers[0].name", message: "merge key"),
        Invalid(override: ["spec": ["containers": [["name": "base", "$patch": "merge"]]]], field: "spec.containers[base].$patch",
                message: "use replace or delete"),
        Invalid(override: ["spec": ["containers": [["name": "new", "image": "x", "env": [["name": "A", "$patch": "delete"]]]]]],
                field: "spec.containers[new].env[A].$patch", message: "nothing to apply to"),
        Invalid(override: ["metadata": ["name": "other"]], field: "metadata.name", message: "set by taskpod"),
        Invalid(override: ["metadata": ["labels": ["dag_id": "other"]]], field: "metadata.labels.dag_id", message: "set by taskpod"),
        Invalid(override: ["metadata": ["labels": ["$patch": "replace", "team": "x"]]], field: "metadata.labels.airflow-worker",
                message: "set by taskpod"),
        Invalid(override: ["spec": ["containers": [["name": "base", "volumeMounts": [["name": "cache", "mountPath": "/cache"]]]]]],
                field: "spec.containers[base].volumeMounts[/cache].name", message: "does not define"),
        Invalid(override: ["spec": ["ephemeralContainers": [["name": "debug", "image": "busybox"]]]], field: "spec.ephemeralContainers",
                message: "cannot be set when a Pod is created"),
        Invalid(override: ["spec": ["containers": [["name": "base", "env": [["name": "A=B", "value": "x"]]]]]],
                field: "spec.containers[base].env[0].name", message: "except '='"),
        Invalid(override: ["spec": ["containers": [["name": "base", "ports": [["containerPort": 70000]]]]]],
                field: "spec.containers[base].ports[0].containerPort", message: "between 1 and 65535"),
        Invalid(override: ["spec": ["restartPolicy": "Nevr"]], field: "spec.restartPolicy", message: "must be Never, OnFailure or Always"),
        Invalid(override: ["kind": "Deployment"], field: "pod_override.kind", message: "must be Pod"),
        Invalid(override: ["spec": ["volumes": [["name": "Data", "emptyDir": [:]]]]], field: "spec.volumes[0].name", message: "not a valid volume name"),
        Invalid(override: ["spec": ["containers": [["name": "base", "resources": ["limits": ["memory": "1 Gi"]]]]]],
                field: "spec.containers[base].resources.limits.memory", message: "contains a space"),
    ]

    @Test("bad overrides are clear errors naming the field and what would be valid", arguments: invalid)
    func invalidOverride(_ invalid: Invalid) {
        let builder = PodBuilder(defaultNamespace: "default", defaultImage: "x", controllerID: "c")
        let error = #expect(throws: PodBuildError.self) {
            try builder.build(id: 1, key: key, spec: TaskSpec(command: ["true"], podOverride: invalid.override))
        }
        let problems = error?.all ?? []
        #expect(problems.contains { $0.field == invalid.field && $0.message.contains(invalid.message) },
                "\(problems.map { "\($0)" }.joined(separator: "\n"))")
    }

    @Test("every problem is reported, not only the first")
    func allProblems() {
        let builder = PodBuilder(defaultNamespace: "default", defaultImage: "x", controllerID: "c")
        let override: JSONValue = ["spec": ["containers": [["name": "base", "resource": [:], "imagePullPolicy": 3]], "hostPID": "no"]]
        let error = #expect(throws: PodBuildError.self) {
            try builder.build(id: 1, key: key, spec: TaskSpec(command: ["true"], podOverride: override))
        }
        #expect(Set((error?.all ?? []).map(\.field)) == [
            "spec.containers[base].resource", "spec.containers[base].imagePullPolicy", "spec.hostPID",
        ])
    }
}
