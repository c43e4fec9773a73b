import Foundation
import JSON
import KubeClient
import KubeSimTestKit
import TestSupport
import Testing

/// `taskpod cleanup-pods` against an in-process KubeSim.
@Suite("taskpod cleanup-pods")
struct CleanupPodsCommandTests {
    @Test("--help names the options")
    func help() async throws {
        let help = try await CommandLineTests.run(BuiltBinary.taskpod, ["cleanup-pods", "--help"])
        #expect(help.succeeded, "\(help.output)")
        for option in ["--min-age", "--namespace", "--all-namespaces", "--dry-run", "--db", "--kubeconfig", "--context", "--in-cluster"] {
            #expect(help.output.contains(option), "no \(option) in\n\(help.output)")
        }
    }

    @Test("--dry-run lists name, namespace, phase, age and why, and deletes nothing; without it the Pods go")
    func dryRun() async throws {
        try await withKubeSim { sim in
            func pod(_ name: String, runSeconds: String, labels: JSONValue) -> JSONValue {
                [
                    "metadata": ["name": .string(name), "labels": labels, "annotations": ["kubesim.taskpod.io/run-seconds": .string(runSeconds)]],
                    "spec": ["restartPolicy": "Never", "containers": [["name": "base", "image": "busybox"]]],
                ]
            }
            let managed: JSONValue = ["app.kubernetes.io/managed-by": "taskpod", "airflow-worker": "gone"]
            _ = try await sim.client.createPod(pod("ended-orphan", runSeconds: "0", labels: managed))
            _ = try await sim.client.createPod(pod("running-orphan", runSeconds: "3600", labels: managed))
            _ = try await sim.client.createPod(pod("not-taskpods", runSeconds: "0", labels: ["app": "other"]))
            let settled = try await eventually(timeout: .seconds(20)) {
                let pods = try await sim.client.listAllPods(namespace: "default").items
                return pods.filter { $0.phase == .succeeded || $0.phase == .running }.count == 3
            }
            try #require(settled)
            let arguments = ["cleanup-pods", "--db", sim.directory.file("tasks.sqlite"), "--kubeconfig", sim.kubeconfigPath, "--log-level", "warning"]

            let dry = try await CommandLineTests.run(BuiltBinary.taskpod, arguments + ["--dry-run"])
            #expect(dry.succeeded, "\(dry.output)")
            let lines = dry.output.split(separator: "\n").map(String.init)
            #expect(lines.first?.split(separator: " ", omittingEmptySubsequences: true) == ["NAME", "NAMESPACE", "PHASE", "AGE", "WHY"],
                    "\(dry.output)")
            #expect(lines.contains { $0.hasPrefix("ended-orphan") && $0.contains("default") && $0.contains("Succeeded")
                && $0.contains("task unknown to the store; Pod ended") }, "\(dry.output)")
            #expect(!dry.output.contains("running-orphan") && !dry.output.contains("not-taskpods"), "\(dry.output)")
            #expect(lines.last == "would delete 1 Pod", "\(dry.output)")
            #expect(try await sim.client.listAllPods(namespace: "default").items.count == 3)

            let aged = try await CommandLineTests.run(BuiltBinary.taskpod, arguments + ["--min-age", "3600"])
            #expect(aged.output.hasSuffix("deleted 0 Pods\n"), "\(aged.output)")

            let real = try await CommandLineTests.run(BuiltBinary.taskpod, arguments)
            #expect(real.succeeded && real.output.hasSuffix("deleted 1 Pod\n"), "\(real.output)")
            let left = try await sim.client.listAllPods(namespace: "default").items.filter { $0.metadata.deletionTimestamp == nil }
            #expect(Set(left.map(\.name)) == ["running-orphan", "not-taskpods"])
        }
    }
}
