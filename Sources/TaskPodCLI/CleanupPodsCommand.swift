import ArgumentParser
import CLISupport
import Foundation
import KubeClient
import TaskPod
import TaskStore

/// `taskpod cleanup-pods`: `airflow kubernetes cleanup-pods` for taskpod's Pods.
struct CleanupPodsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanup-pods",
        abstract: "Delete the Pods of ended tasks that were kept or left behind.",
        discussion: """
            Deletes Pods labelled app.kubernetes.io/managed-by=taskpod whose task is final in the store (success, \
            failed, cancelled; including failed Pods kept as airflow_executor_done=True) or unknown to it. A Pod whose \
            task is queued, launched or running is never deleted; nor is a running Pod of an unknown task unless its \
            controller (airflow-worker label) is registered in this store.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var kube: KubeOptions
    @OptionGroup var log: LogOptions

    @Option(help: ArgumentHelp("Only Pods that ended (else were created) at least this many seconds ago.", valueName: "seconds"))
    var minAge: Int = 0

    @Option(help: "The namespace to clean (default: the kubeconfig context's).")
    var namespace: String?

    @Flag(help: "Clean every namespace.")
    var allNamespaces = false

    @Flag(help: "List what would be deleted (name, namespace, phase, age, why); delete nothing.")
    var dryRun = false

    func validate() throws {
        guard minAge >= 0 else { throw ValidationError("--min-age must be 0 or more seconds, not \(minAge)") }
        if allNamespaces && namespace != nil { throw ValidationError("give --namespace or --all-namespaces, not both") }
    }

    func run() async throws {
        let logger = log.bootstrap()
        let kubeConfig = try kube.load()
        let client = KubeClient(config: kubeConfig, logger: logger)
        let taskStore = try await store.open(logger: logger)
        let cleanup = PodCleanup(client: client, store: taskStore, logger: logger)
        let scope: PodCleanup.Scope = allNamespaces ? .allNamespaces : .namespace(namespace ?? kubeConfig.namespace)
        let candidates: [PodCleanup.Candidate]
        do {
            candidates = try await cleanup.candidates(scope: scope, minAge: .seconds(minAge))
            print(Self.table(candidates))
            if !dryRun { try await cleanup.delete(candidates) }
        } catch {
            try? await taskStore.close()
            throw error
        }
        try await taskStore.close()
        let verb = dryRun ? "would delete" : "deleted"
        print("\(verb) \(candidates.count) Pod\(candidates.count == 1 ? "" : "s")")
    }

    static func table(_ candidates: [PodCleanup.Candidate]) -> String {
        TaskOutput.format(
            header: ["NAME", "NAMESPACE", "PHASE", "AGE", "WHY"],
            rows: candidates.map { [$0.name, $0.namespace, $0.phase, "\($0.age)s", $0.reason] }
        )
    }
}
