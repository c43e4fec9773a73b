import CLISupport
import Foundation
import Logging
import TaskPod

extension ControllerCommand {
    /// The settings from `--config`, then `TASKPOD_*` variables, then the flags given; with the warnings to log.
    ///
    /// - Throws: ``SettingsError`` listing every problem (its description never holds the `db` URL).
    func loadSettings() throws -> (settings: TaskPodSettings, warnings: [SettingsProblem]) {
        var loader = SettingsLoader()
        if let config { loader.apply(file: try ConfigCommand.read(config), path: config) }
        loader.apply(environment: ProcessInfo.processInfo.environment)
        loader.apply(flags: givenSettings)
        return (try loader.settings(), loader.warnings)
    }

    /// Every flag given on the command line, by setting key. A new controller flag adds one line here (and one
    /// row to ``TaskPodSettings/table``).
    var givenSettings: [String: SettingValue] {
        var given = GivenSettings()
        given["db"] = store.db
        given["kubeconfig"] = kube.kubeconfig
        given["context"] = kube.context
        given["in_cluster"] = kube.inCluster ? true : nil
        given["log_level"] = log.logLevel?.rawValue
        given["log_format"] = log.logFormat?.rawValue
        given["leader_elect"] = leaderElect
        given["lease_name"] = leaseName
        given["lease_namespace"] = leaseNamespace
        given["lease_duration"] = leaseDuration
        given["qps"] = qps
        given["burst"] = burst
        return given.values.merging(options.givenSettings) { first, _ in first }
            .merging(api.givenSettings) { first, _ in first }
    }
}

extension LogOptions {
    /// Installs the log handler the settings name (`log_level`, `log_format`; both checked by ``SettingsLoader``).
    func bootstrap(level: String, format: String) -> Logger {
        Self.bootstrap(level: Logger.Level(rawValue: level) ?? .info, format: LogFormat(rawValue: format) ?? .text)
    }
}
