import ArgumentParser

@main
struct TaskPodCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "taskpod",
        abstract: "A Kubernetes pod-per-task executor: every queued task becomes one Pod.",
        discussion: """
            Tasks are stored in a database (--db: a SQLite file, the default, or a database URL). \
            The controller creates one Pod per task, follows it, and keeps its log after the Pod is gone.

            Try it with no cluster:  taskpod demo
            """,
        version: "0.1.0",
        subcommands: [
            SubmitCommand.self, TasksCommand.self, LogsCommand.self, CancelCommand.self, RenderCommand.self,
            ControllerCommand.self, ConfigCommand.self, CleanupPodsCommand.self, DemoCommand.self,
        ]
    )
}
