import ArgumentParser
import JSON
import KubeClient
import PodSchema
import TaskPod
import TaskStore
import YAML

/// `taskpod render`: the Pod a task would get, or every reason it would be refused, with no cluster.
struct RenderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Print the Pod a task would get (template → generated part → pod_override), or why it is invalid.",
        discussion: """
            The override (JSON or YAML, a partial Pod) is applied as `kubectl patch --type strategic` would: \
            containers, env and volumes merge by name, volumeMounts by mountPath, maps merge key by key, other \
            lists are replaced, null deletes. See docs/pod-override.md.

            Example:
              taskpod render --template pod.yaml --override big.yaml --dag etl --task load --run r1 -o yaml -- echo hi

            Exits non-zero and lists every problem (field path and what would be valid) when the Pod would be refused.
            """
    )

    @Option(help: ArgumentHelp("The pod_template_file (YAML, one Pod); the built-in minimal Pod when omitted.", valueName: "file"))
    var template: String?

    @Option(name: .customLong("default-namespace"), help: "The controller's namespace, used when the task names none.")
    var defaultNamespace: String = "default"

    @Option(name: .customLong("default-image"), help: "The controller's image: used when the task names none, before the template's.")
    var defaultImage: String?

    @Option(help: "The controller id written into the airflow-worker label.")
    var controllerID: String = "taskpod"

    @OptionGroup var task: TaskOptions
    @OptionGroup var server: ServerOptions

    @Option(name: .shortAndLong, help: "Output: json or yaml.")
    var output: OutputFormat = .yaml

    /// Every problem of the Pod, one per line.
    struct InvalidPod: Error, CustomStringConvertible {
        var problems: [PodBuildError]

        var description: String {
            let count = problems.count == 1 ? "1 problem" : "\(problems.count) problems"
            return "invalid Pod (\(count)):\n" + problems.map { "  \($0)" }.joined(separator: "\n")
        }
    }

    func run() async throws {
        let pod: JSONValue
        if let client = try server.client() {
            // The running controller's template and defaults; a sensitive task's values come back redacted.
            let answer = try await client.call(.post, "/api/v1/render", TaskPodAPIClient.submission(key: task.key, spec: try task.spec()))
            guard let rendered = answer.json?["pod"] else { throw ValidationError("the taskpod API answered without a Pod") }
            pod = rendered
        } else {
            pod = try renderLocally()
        }
        switch output {
        case .json: print(pod.prettyJSONString)
        case .yaml, .text: print(YAML.serialize(pod), terminator: "")
        }
    }

    private func renderLocally() throws -> JSONValue {
        let pod: JSONValue
        do {
            let base = try template.map(PodBuilder.loadTemplate(path:)) ?? PodBuilder.defaultTemplate
            let spec = try task.spec()
            let builder = PodBuilder(
                template: base, defaultNamespace: defaultNamespace, defaultImage: defaultImage, controllerID: controllerID)
            pod = try builder.build(id: 0, key: task.key, spec: spec, template: spec.podTemplate)
        } catch let error as PodBuildError {
            throw InvalidPod(problems: error.all)
        }
        return pod
    }
}
