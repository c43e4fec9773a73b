import Foundation
import TaskPod
import Testing

@Suite("The configuration file, TASKPOD_* variables and flags")
struct SettingsLoaderTests {
    static func load(file: String? = nil, environment: [String: String] = [:], flags: [String: SettingValue] = [:]) -> SettingsLoader {
        var loader = SettingsLoader()
        if let file { loader.apply(file: file, path: "taskpod.yaml") }
        loader.apply(environment: environment)
        loader.apply(flags: flags)
        return loader
    }

    @Test("an unknown key is refused at its line and column, with the nearest key")
    func unknownKey() {
        let loader = Self.load(file: "namespace: jobs\n\n  # indented below\nparalelism: 4\nzzzz: 1\n")
        let problems = loader.allProblems
        #expect(problems.count == 2, "\(problems)")
        #expect(problems.first?.description == "taskpod.yaml:4:1: unknown key \"paralelism\"; did you mean \"parallelism\"?")
        #expect(problems.last?.description == "taskpod.yaml:5:1: unknown key \"zzzz\" (taskpod config defaults lists every key)")
        #expect(throws: SettingsError.self) { try loader.settings() }
    }

    @Test("a value of the wrong type names the key, the expected type and the position")
    func wrongType() {
        let loader = Self.load(file: "parallelism: many\nfollow_logs: yes\nlog_containers: [base, 3]\nqps: 2.5\n")
        #expect(loader.allProblems.map(\.description) == [
            "taskpod.yaml:1:1: parallelism must be an integer, not string \"many\"",
            "taskpod.yaml:2:1: follow_logs must be a boolean (true or false), not string \"yes\"",
            "taskpod.yaml:3:1: log_containers must be a list of strings (or one comma-separated string), not a list holding non-strings",
        ])
    }

    @Test("every problem of a file is reported, ranges too, in line order")
    func everyProblem() {
        let loader = Self.load(file: "heartbeat_timeout: 6\nparallelism: 0\nlog_format: xml\nbogus: 1\n")
        #expect(loader.allProblems.map(\.key) == ["heartbeat_timeout", "parallelism", "log_format", "bogus"])
    }

    @Test("a YAML syntax error and a file that is not a mapping are problems with positions")
    func badYAML() {
        #expect(Self.load(file: "parallelism: [1\n").allProblems.first?.description.hasPrefix("taskpod.yaml:") == true)
        #expect(Self.load(file: "- parallelism\n").allProblems.map(\.description)
            == ["taskpod.yaml:1:1: expected a mapping of settings (key: value), not a list"])
    }

    @Test("TASKPOD_<KEY> wins over the file, and flags win over both")
    func precedence() throws {
        let file = "parallelism: 4\nnamespace: from-file\nimage: file:1\nmulti_namespace_mode_namespace_list: a, b\n"
        let environment = ["TASKPOD_PARALLELISM": "8", "TASKPOD_NAMESPACE": "from-env", "PATH": "/bin"]
        var loader = Self.load(file: file, environment: environment)
        var settings = try loader.settings()
        #expect(settings.parallelism == 8)
        #expect(settings.namespace == "from-env")
        #expect(settings.image == "file:1")
        #expect(settings.multiNamespaceModeNamespaceList == ["a", "b"])
        #expect(loader.origin(of: "parallelism") == .environment("TASKPOD_PARALLELISM"))

        loader = Self.load(file: file, environment: environment, flags: ["parallelism": .integer(16)])
        settings = try loader.settings()
        #expect(settings.parallelism == 16)
        #expect(settings.namespace == "from-env")
        #expect(loader.origin(of: "parallelism") == .flag("--parallelism"))
    }

    @Test("a bad value names where it came from: a variable or a flag")
    func origins() {
        var loader = Self.load(environment: ["TASKPOD_PARALLELISM": "lots"])
        #expect(loader.allProblems.map(\.description) == ["$TASKPOD_PARALLELISM: parallelism must be an integer, not \"lots\""])
        loader = Self.load(environment: ["TASKPOD_PARALLELISM": "2"], flags: ["parallelism": .integer(0)])
        #expect(loader.allProblems.map(\.description) == ["--parallelism: parallelism must be at least 1, not 0"])
    }

    @Test("a TASKPOD_ variable that nearly names a setting is a warning; others are left alone")
    func unknownVariable() throws {
        let loader = Self.load(environment: ["TASKPOD_PARALELISM": "4", "TASKPOD_VENV": "/venv", "TASKPOD_TEST_POSTGRES_URL": "x"])
        #expect(loader.warnings.map(\.description) == ["$TASKPOD_PARALELISM: not a taskpod setting (ignored); did you mean TASKPOD_PARALLELISM?"])
        #expect(try loader.settings().parallelism == 256)
    }

    @Test("null unsets an optional setting and is refused for others")
    func null() throws {
        #expect(try Self.load(file: "namespace: null\nimage:\n").settings().namespace == nil)
        #expect(Self.load(file: "parallelism: null\n").allProblems.map(\.description)
            == ["taskpod.yaml:1:1: parallelism must be an integer, not null"])
    }

    @Test("the password of db is never printed")
    func secret() {
        let url = "postgres://taskpod:Sup3rSecret@db/taskpod"
        let problems = Self.load(file: "db: [\"\(url)\"]\n", environment: ["TASKPOD_DB": url]).allProblems
            + Self.load(file: "db: 12345\n").allProblems
        #expect(problems.count == 2)
        for problem in problems {
            #expect(!problem.description.contains("Sup3rSecret") && !problem.description.contains("12345"), "\(problem)")
        }
        #expect(!TaskPodSettings.flagHelp("db").contains("taskpod.sqlite"))
    }

    @Test("the defaults file lists every key once and passes the check")
    func defaultsFile() throws {
        let text = TaskPodSettings.defaultsFile()
        var loader = SettingsLoader()
        loader.apply(file: text, path: "defaults.yaml")
        #expect(loader.allProblems.isEmpty, "\(loader.allProblems)")
        #expect(try loader.settings() == TaskPodSettings())
        #expect(Self.keys(in: text) == TaskPodSettings.table.map(\.key))
        #expect(Set(TaskPodSettings.table.map(\.key)).count == TaskPodSettings.table.count)
    }

    @Test("docs/configuration.md holds the defaults file as taskpod config defaults prints it")
    func documentation() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/configuration.md")
            .standardizedFileURL.path
        let doc = try String(contentsOfFile: path, encoding: .utf8)
        #expect(doc.contains("```yaml\n" + TaskPodSettings.defaultsFile() + "```"),
                "regenerate the block in docs/configuration.md with: taskpod config defaults")
        #expect(Self.keys(in: doc) == TaskPodSettings.table.map(\.key))
    }

    /// The top-level keys of a YAML text, in order.
    static func keys(in text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            guard let colon = line.firstIndex(of: ":"), line.first?.isLetter == true else { return nil }
            let key = line[..<colon]
            return key.allSatisfy { $0.isLowercase || $0 == "_" } ? String(key) : nil
        }
    }

    @Test("the controller configuration follows the settings")
    func configuration() throws {
        var settings = try Self.load(file: "task_queued_timeout: 0\nmulti_namespace_mode: true\nlog_containers: base,sidecar\n").settings()
        settings.controllerID = "c1"
        let configuration = settings.configuration(defaultNamespace: "ctx-ns")
        #expect(configuration.controllerID == "c1")
        #expect(configuration.namespace == "ctx-ns")
        #expect(configuration.taskQueuedTimeout == nil)
        #expect(configuration.allNamespaces)
        #expect(configuration.logContainers == ["base", "sidecar"])
        try configuration.validate()
    }
}
