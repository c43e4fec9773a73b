import JSON
import KubeClient
import TaskPod
import Testing

@Suite("Controller settings are checked before the controller starts")
struct ControllerConfigurationTests {
    @Test("the defaults are valid")
    func defaults() throws {
        try ControllerConfiguration(controllerID: "a").validate()
    }

    @Test("a heartbeat timeout under three heartbeats is refused, naming the setting")
    func heartbeatTimeout() {
        var configuration = ControllerConfiguration(controllerID: "a")
        configuration.heartbeatInterval = .seconds(5)
        configuration.heartbeatTimeout = .seconds(14)
        #expect {
            try configuration.validate()
        } throws: { error in
            let error = error as? ConfigurationError
            return error?.setting == "heartbeatTimeout" && error?.description.contains("at least 3 × heartbeatInterval") == true
        }
        configuration.heartbeatTimeout = .seconds(15)
        #expect(throws: Never.self) { try configuration.validate() }
    }

    @Test("other impossible settings are refused", arguments: ["parallelism", "maxFollowedLogs", "workers", "controllerID"])
    func impossible(setting: String) {
        var configuration = ControllerConfiguration(controllerID: "a")
        switch setting {
        case "parallelism": configuration.parallelism = 0
        case "maxFollowedLogs": configuration.maxFollowedLogs = -1
        case "workers": configuration.workers = 0
        default: configuration.controllerID = ""
        }
        #expect {
            try configuration.validate()
        } throws: { error in
            (error as? ConfigurationError)?.setting == setting
        }
    }

    static func pod(containers: [String], initContainers: [String] = [], annotation: String? = nil) throws -> Pod {
        var metadata: JSONObject = ["name": "p"]
        if let annotation { metadata["annotations"] = ["taskpod.io/log-containers": .string(annotation)] }
        let json: JSONValue = [
            "metadata": .object(metadata),
            "spec": [
                "containers": .array(containers.map { ["name": .string($0)] }),
                "initContainers": .array(initContainers.map { ["name": .string($0)] }),
            ],
        ]
        return try json.decode(Pod.self)
    }

    @Test("which containers make the task log: the annotation, else the setting; unknown names skipped; else the first")
    func logContainers() throws {
        let configured = ["base"]
        #expect(Controller.logContainers(of: try Self.pod(containers: ["base", "side"]), configured: configured) == ["base"])
        #expect(Controller.logContainers(of: try Self.pod(containers: ["main", "side"]), configured: configured) == ["main"])
        #expect(Controller.logContainers(
            of: try Self.pod(containers: ["base", "side"], annotation: "side, base, side, ghost"), configured: configured) == ["side", "base"])
        #expect(Controller.logContainers(
            of: try Self.pod(containers: ["base", "side"], initContainers: ["init"], annotation: "*"), configured: configured)
            == ["init", "base", "side"])
        #expect(Controller.logContainers(of: try Self.pod(containers: ["base"], annotation: "ghost"), configured: configured) == ["base"])
        #expect(Controller.logContainers(of: try Self.pod(containers: ["a", "b"]), configured: ["b", "a"]) == ["b", "a"])
    }
}
