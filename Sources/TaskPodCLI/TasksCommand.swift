import ArgumentParser
import CLISupport
import Foundation
import JSON
import KubeClient
import TaskPodServer
import TaskStore

struct TasksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks",
        abstract: "List and inspect task instances.",
        subcommands: [List.self, Show.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tasks, oldest first.")

        @OptionGroup var store: StoreOptions
        @OptionGroup var server: ServerOptions
        @OptionGroup var log: LogOptions

        @Option(help: "Only tasks in this state: \(TaskState.allCases.map(\.rawValue).joined(separator: ", ")).")
        var state: TaskState?

        @Option(name: .shortAndLong, help: "Output: text or json.")
        var output: OutputFormat = .text

        func run() async throws {
            let tasks: [TaskInstance]
            if let client = try server.client() {
                tasks = try await client.tasks(state: state)
            } else {
                let taskStore = try await store.open(logger: log.bootstrap())
                tasks = try await taskStore.tasks(state: state)
                try await taskStore.close()
            }
            switch output {
            case .json: print(JSONValue.array(tasks.map(TaskOutput.json)).prettyJSONString)
            case .text, .yaml: print(TaskOutput.table(tasks))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one task with its history.")

        @OptionGroup var store: StoreOptions
        @OptionGroup var server: ServerOptions
        @OptionGroup var log: LogOptions

        @Argument(help: "The task id.")
        var id: Int64

        @Option(name: .shortAndLong, help: "Output: text or json.")
        var output: OutputFormat = .text

        func run() async throws {
            let task: TaskInstance
            let events: [TaskEvent]
            if let client = try server.client() {
                let answer = try await client.call(.get, "/api/v1/tasks/\(id)")
                task = try client.task(from: answer)
                events = answer.json?[path: "task", "events"]?.arrayValue?.compactMap(TaskJSON.decodeEvent) ?? []
            } else {
                let taskStore = try await store.open(logger: log.bootstrap())
                guard let stored = try await taskStore.task(id: id) else {
                    try await taskStore.close()
                    throw ValidationError("no task with id \(id); see `taskpod tasks list`")
                }
                task = stored
                events = try await taskStore.events(id: id)
                try await taskStore.close()
            }
            let history = events.map(TaskJSON.event)
            var json = TaskOutput.json(task)
            json["events"] = .array(history)
            switch output {
            case .json:
                print(json.prettyJSONString)
            case .text, .yaml:
                for key in ["id", "dag_id", "task_id", "run_id", "map_index", "try_number", "state", "reason", "pod_name",
                            "namespace", "image", "queued_at", "launched_at", "running_at", "finished_at", "duration_seconds"] {
                    let value = json[key] ?? .null
                    print("\(key + ":")".padding(toLength: 18, withPad: " ", startingAt: 0) + (value.stringValue ?? value.jsonString))
                }
                print("command:".padding(toLength: 18, withPad: " ", startingAt: 0) + task.spec.command.joined(separator: " "))
                if let override = task.spec.podOverride { print("pod_override:".padding(toLength: 18, withPad: " ", startingAt: 0) + override.jsonString) }
                print("events:")
                for event in events {
                    var line = "  \(TaskOutput.timestamp(event.at))  \(event.from?.rawValue ?? "-") → \(event.to.rawValue)"
                    if let reason = event.reason { line += "  \(reason)" }
                    if let node = event.node { line += "  node=\(node)" }
                    if let controller = event.controllerID { line += "  controller=\(controller)" }
                    print(line)
                }
            }
        }
    }
}

extension TaskState: ExpressibleByArgument {}

struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print a task's log: the controller's lines and its Pod's output, kept after the Pod is gone."
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var server: ServerOptions
    @OptionGroup var log: LogOptions

    @Argument(help: "The task id.")
    var id: Int64

    @Flag(name: .shortAndLong, help: "With --server: keep printing what the log gains until the task ends.")
    var follow = false

    func run() async throws {
        if let client = try server.client() {
            let answer = try await client.call(.get, "/api/v1/tasks/\(id)/log" + (follow ? "?follow=true" : ""))
            FileHandle.standardOutput.write(Data(answer.body))
            return
        }
        let taskStore = try await store.open(logger: log.bootstrap())
        guard try await taskStore.task(id: id) != nil else {
            try await taskStore.close()
            throw ValidationError("no task with id \(id); see `taskpod tasks list`")
        }
        let text = try await taskStore.log(id: id)
        try await taskStore.close()
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel a task: a queued task ends at once; a running one when the controller has deleted its Pod."
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var server: ServerOptions
    @OptionGroup var log: LogOptions

    @Argument(help: "The task id.")
    var id: Int64

    func run() async throws {
        let task: TaskInstance
        if let client = try server.client() {
            task = try client.task(from: try await client.call(.post, "/api/v1/tasks/\(id)/cancel"))
        } else {
            let taskStore = try await store.open(logger: log.bootstrap())
            guard let cancelled = try await taskStore.requestCancel(id: id) else {
                try await taskStore.close()
                throw ValidationError("no task with id \(id); see `taskpod tasks list`")
            }
            try await taskStore.close()
            task = cancelled
        }
        if task.state.isFinal {
            print("task \(id) is \(task.state.rawValue)")
        } else {
            print("task \(id): cancel requested; the controller deletes its Pod")
        }
    }
}
