import ArgumentParser
import Foundation
import TaskPod

/// `taskpod config defaults|check`: the controller's configuration file.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print or check a controller configuration file (taskpod controller --config FILE).",
        discussion: """
            Settings come from the file, then TASKPOD_<KEY> environment variables (the key in upper case), then \
            command-line flags; each wins over the ones before it.
            """,
        subcommands: [Defaults.self, Check.self]
    )

    struct Defaults: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a complete configuration file: every key at its default, with its description.")

        func run() {
            print(TaskPodSettings.defaultsFile(), terminator: "")
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a configuration file: print ok, or every problem (with its line and column) and exit 1.")

        @Argument(help: ArgumentHelp("The configuration file (YAML).", valueName: "file"))
        var file: String

        func run() throws {
            var loader = SettingsLoader()
            loader.apply(file: try ConfigCommand.read(file), path: file)
            let problems = loader.allProblems
            guard !problems.isEmpty else {
                print("ok")
                return
            }
            for problem in problems { print(problem) }
            throw ExitCode.failure
        }
    }

    /// A configuration file's text, or an error naming the file.
    static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read the configuration file \(path)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
