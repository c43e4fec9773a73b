import JSON
import TaskStore
import Testing
@testable import TaskPod

@Suite("Checking a submission against a controller's template")
struct TaskValidationTests {
    let builder = PodBuilder(defaultNamespace: "jobs", defaultImage: "python:3.12", controllerID: "c1")
    let key = TaskKey(dagID: "etl", taskID: "load", runID: "r1")

    @Test("a good task has no problems; args keep the entrypoint")
    func good() throws {
        let spec = TaskSpec(command: [], args: ["python", "-m", "work"])
        #expect(builder.problems(key: key, spec: spec).isEmpty)
        let pod = try builder.build(id: 1, key: key, spec: spec)
        #expect(pod[path: "spec", "containers"]?.arrayValue?.first?["args"] == ["python", "-m", "work"])
        #expect(pod[path: "spec", "containers"]?.arrayValue?.first?["command"] == nil)
    }

    @Test("key and spec problems name their fields")
    func keyAndSpec() {
        let problems = builder.problems(
            key: TaskKey(dagID: "", taskID: "t", runID: "r", mapIndex: -2, tryNumber: 0),
            spec: TaskSpec(command: ["a"], args: ["b"], env: ["A=B": "x"])
        )
        #expect(Set(problems.map(\.field)) == ["dag_id", "try_number", "map_index", "command", "env.A=B"])
        #expect(builder.problems(key: key, spec: TaskSpec(command: [])).map(\.field) == ["command"])
    }

    @Test("an override's problems are named by their position in the override")
    func overridePaths() {
        let badQuantity: JSONValue = [
            "spec": ["containers": [["name": "base", "resources": ["limits": ["memory": "12Zi"]]]]],
        ]
        let problems = builder.problems(key: key, spec: TaskSpec(command: ["x"], podOverride: badQuantity))
        #expect(problems.map(\.field) == ["pod_override.spec.containers[0].resources.limits.memory"])

        let sidecarFirst: JSONValue = [
            "spec": ["containers": [
                ["name": "side", "image": "busybox"],
                ["name": "base", "resources": ["limits": ["cpu": "1"], "requests": ["cpu": "2"]]],
            ]],
        ]
        let overcommit = builder.problems(key: key, spec: TaskSpec(command: ["x"], podOverride: sidecarFirst))
        #expect(overcommit.map(\.field) == ["pod_override.spec.containers[1].resources.requests.cpu"])

        let renamed: JSONValue = ["metadata": ["name": "mine", "labels": ["dag_id": "other"]]]
        let identity = builder.problems(key: key, spec: TaskSpec(command: ["x"], podOverride: renamed))
        #expect(Set(identity.map(\.field)) == ["pod_override.metadata.name", "pod_override.metadata.labels.dag_id"])
        #expect(builder.problems(key: key, spec: TaskSpec(command: ["x"], podOverride: ["x"])).map(\.field) == ["pod_override"])
    }

    @Test("the controller's template is what the task is checked against")
    func controllerTemplate() {
        var template = PodBuilder.defaultTemplate
        template[path: "spec", "containers"] = [["name": "base"]]
        let noImage = PodBuilder(template: template, defaultNamespace: "jobs", defaultImage: nil, controllerID: "c1")
        #expect(noImage.problems(key: key, spec: TaskSpec(command: ["x"])).map(\.field) == ["pod.spec.containers[base].image"])
        #expect(noImage.problems(key: key, spec: TaskSpec(command: ["x"], image: "busybox")).isEmpty)
        let badTemplate: JSONValue = ["kind": "Pod", "spec": ["containers": [["name": "base", "imagee": "x"]]]]
        let fields = builder.problems(key: key, spec: TaskSpec(command: ["x"], podTemplate: badTemplate)).map(\.field)
        #expect(fields == ["pod_template.spec.containers[0].imagee"])
    }
}
