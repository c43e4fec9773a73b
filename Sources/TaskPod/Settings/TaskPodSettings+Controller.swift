import Foundation
import KubeClient

extension TaskPodSettings {
    /// The controller id: the one set, else `taskpod-<host name>`.
    public var resolvedControllerID: String { controllerID ?? "taskpod-\(ProcessInfo.processInfo.hostName)" }

    /// The cluster to talk to: the Pod's service account with `in_cluster`, else `kubeconfig` and `context`.
    public func kubeConfig() throws -> KubeConfig {
        if inCluster { return try KubeConfig.inCluster() }
        return try KubeConfig.load(path: kubeconfig, context: context)
    }

    /// The controller's configuration from these settings.
    ///
    /// - Parameter defaultNamespace: The namespace when `namespace` is unset: the kubeconfig context's.
    public func configuration(defaultNamespace: String) -> ControllerConfiguration {
        var configuration = ControllerConfiguration(controllerID: resolvedControllerID)
        configuration.namespace = namespace ?? defaultNamespace
        configuration.parallelism = parallelism
        configuration.podTemplateFile = podTemplateFile
        configuration.image = image
        configuration.deleteWorkerPods = deleteWorkerPods
        configuration.deleteWorkerPodsOnFailure = deleteWorkerPodsOnFailure
        configuration.maxLogBytes = maxLogBytes
        configuration.logContainers = logContainers
        configuration.extraNamespaces = multiNamespaceModeNamespaceList
        configuration.allNamespaces = multiNamespaceMode
        configuration.maxActiveTasksPerDag = maxActiveTasksPerDag
        configuration.maxActiveTasksPerNamespace = maxActiveTasksPerNamespace
        configuration.taskQueuedTimeout = taskQueuedTimeout > 0 ? .seconds(taskQueuedTimeout) : nil
        configuration.workerPodsPendingTimeout = workerPodsPendingTimeout > 0 ? .seconds(workerPodsPendingTimeout) : nil
        configuration.imagePullGrace = .seconds(imagePullGrace)
        configuration.heartbeatInterval = .seconds(heartbeatInterval)
        configuration.heartbeatTimeout = .seconds(heartbeatTimeout)
        configuration.followLogs = followLogs
        configuration.maxFollowedLogs = maxFollowedLogs
        configuration.retryLostPods = retryLostPods
        configuration.shutdownGracePeriod = .seconds(shutdownGracePeriod)
        configuration.exclusive = leaderElect
        return configuration
    }
}
