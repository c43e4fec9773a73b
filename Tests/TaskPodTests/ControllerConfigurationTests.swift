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
}
