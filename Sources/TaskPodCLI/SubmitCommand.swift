import ArgumentParser
import CLISupport
import JSON
import KubeClient
import TaskPod
import TaskStore

struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Queue a task instance: the controller gives it a Pod.",
        discussion: """
            Example:
              taskpod submit --dag etl --task load --run manual_1 --override big.yaml -- python -m etl.load
            The override is checked now: a bad quantity or a request above its limit is refused here, \
            before anything is stored.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var server: ServerOptions
    @OptionGroup var task: TaskOptions
    @OptionGroup var log: LogOptions

    @Option(name: .shortAndLong, help: "Output: text or json.")
    var output: OutputFormat = .text

    @Option(name: .customLong("pod-template-file"), help: ArgumentHelp(
        "The controller's pod_template_file (YAML), to check the task against it before storing.", valueName: "file"))
    var controllerTemplate: String?

    @Option(name: .customLong("controller-image"), help: "The controller's image, when the task and template name none.")
    var controllerImage: String?

    func run() async throws {
        let logger = log.bootstrap()
        let spec = try task.spec()
        if let client = try server.client() {
            // The server checks the task against its controller's template.
            let answer = try await client.call(.post, "/api/v1/tasks", TaskPodAPIClient.submission(key: task.key, spec: spec))
            if answer.status == 409 {
                throw ValidationError("task \(task.key) already exists; submit it with the next try number (--try \(task.key.tryNumber + 1))")
            }
            print(try Self.describe(client.task(from: answer), output: output))
            return
        }
        // Refuse what would never make a valid Pod before storing it, against the controller's template when given.
        let template: JSONValue
        do {
            template = try controllerTemplate.map(PodBuilder.loadTemplate(path:)) ?? PodBuilder.defaultTemplate
        } catch let error as PodBuildError {
            throw ValidationError("--pod-template-file \(controllerTemplate ?? ""): \(error)")
        }
        let builder = PodBuilder(
            template: template, defaultNamespace: "default", defaultImage: controllerImage ?? "validation",
            controllerID: "submit"
        )
        let problems = builder.problems(key: task.key, spec: spec)
        guard problems.isEmpty else {
            throw ValidationError(
                "the task's Pod would be invalid:\n" + problems.map { "  \($0)" }.joined(separator: "\n")
            )
        }
        let taskStore = try await store.open(logger: logger)
        let stored = try await taskStore.submit(key: task.key, spec: spec)
        try await taskStore.close()
        print(Self.describe(stored, output: output))
    }

    static func describe(_ task: TaskInstance, output: OutputFormat) -> String {
        switch output {
        case .json: TaskOutput.json(task).prettyJSONString
        case .text, .yaml: "task \(task.id) queued: \(task.key)"
        }
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, yaml
}
