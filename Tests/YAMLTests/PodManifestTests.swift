import JSON
import Testing
import YAML

@Suite("Pod manifests")
struct PodManifestTests {
    static let pod = """
        # A batch task's pod, as a user would write it.
        apiVersion: v1
        kind: Pod
        metadata:
          name: render-frames-0042   # the task key
          namespace: batch
          labels:
            app.kubernetes.io/name: render
            app.kubernetes.io/managed-by: taskpod
            tier: "1"
          annotations:
            taskpod.io/retries: "3"
            description: >
              Renders one chunk of frames
              and uploads them.
        spec:
          restartPolicy: Never
          activeDeadlineSeconds: 3600
          terminationGracePeriodSeconds: 30
          nodeSelector: {disktype: ssd, "kubernetes.io/arch": amd64}
          tolerations:
          - {key: dedicated, operator: Equal, value: batch, effect: NoSchedule}
          containers:
          - name: render
            image: registry.example.com/render:1.4.2
            imagePullPolicy: IfNotPresent
            command: ["/bin/sh", "-c"]
            args:
            - |
              set -eu
              echo "rendering $FRAMES"

              exec render --frames "$FRAMES" --out /data
            env:
            - name: FRAMES
              value: 0-99
            - name: THREADS
              value: "8"
            - name: DEBUG
              value: 'false'
            - name: POD_IP
              valueFrom:
                fieldRef:
                  fieldPath: status.podIP
            resources:
              requests:
                cpu: 500m
                memory: 1Gi
              limits:
                cpu: 2
                memory: 2.5Gi
                nvidia.com/gpu: 1
            ports:
            - containerPort: 8080
              protocol: TCP
            volumeMounts:
            - name: data
              mountPath: /data
            - name: config
              mountPath: /etc/render
              readOnly: true
          - name: uploader
            image: registry.example.com/uploader@sha256:2f9bd1c0e7c2f3a1b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b
            args: [--bucket, frames, --parallel, '4']
            resources:
              requests: {cpu: 100m, memory: 128Mi}
          volumes:
          - name: data
            emptyDir: {}
          - name: config
            configMap:
              name: render-config
              defaultMode: 0644
              items: []

        """

    @Test("metadata, comments and a folded block")
    func metadata() throws {
        let pod = try YAML.parse(Self.pod)
        #expect(pod["apiVersion"] == "v1")
        #expect(pod["kind"] == "Pod")
        #expect(pod[path: "metadata", "name"] == "render-frames-0042")
        #expect(pod[path: "metadata", "namespace"] == "batch")
        #expect(pod[path: "metadata", "labels"] == [
            "app.kubernetes.io/name": "render", "app.kubernetes.io/managed-by": "taskpod", "tier": "1",
        ])
        #expect(pod[path: "metadata", "annotations", "taskpod.io/retries"] == "3")
        #expect(pod[path: "metadata", "annotations", "description"]
            == "Renders one chunk of frames and uploads them.\n")
    }

    @Test("spec fields and flow style")
    func spec() throws {
        let spec = try #require(try YAML.parse(Self.pod)["spec"])
        #expect(spec["restartPolicy"] == "Never")
        #expect(spec["activeDeadlineSeconds"] == .int(3600))
        #expect(spec["terminationGracePeriodSeconds"] == 30)
        #expect(spec["nodeSelector"] == ["disktype": "ssd", "kubernetes.io/arch": "amd64"])
        #expect(spec["tolerations"] == [
            ["key": "dedicated", "operator": "Equal", "value": "batch", "effect": "NoSchedule"],
        ])
        #expect(spec.objectValue?.keys == ["restartPolicy", "activeDeadlineSeconds", "terminationGracePeriodSeconds",
                                           "nodeSelector", "tolerations", "containers", "volumes"])
    }

    @Test("containers: command, literal block args, env and resources")
    func containers() throws {
        let containers = try #require(try YAML.parse(Self.pod)[path: "spec", "containers"]?.arrayValue)
        try #require(containers.count == 2)

        let render = containers[0]
        #expect(render["name"] == "render")
        #expect(render["image"] == "registry.example.com/render:1.4.2")
        #expect(render["command"] == ["/bin/sh", "-c"])
        #expect(render["args"] == [
            .string("set -eu\necho \"rendering $FRAMES\"\n\nexec render --frames \"$FRAMES\" --out /data\n"),
        ])
        #expect(render["env"] == [
            ["name": "FRAMES", "value": "0-99"],
            ["name": "THREADS", "value": "8"],
            ["name": "DEBUG", "value": "false"],
            ["name": "POD_IP", "valueFrom": ["fieldRef": ["fieldPath": "status.podIP"]]],
        ])
        #expect(render[path: "resources", "requests"] == ["cpu": "500m", "memory": "1Gi"])
        #expect(render[path: "resources", "limits"] == ["cpu": 2, "memory": "2.5Gi", "nvidia.com/gpu": 1])
        #expect(render["ports"] == [["containerPort": 8080, "protocol": "TCP"]])
        #expect(render["volumeMounts"] == [
            ["name": "data", "mountPath": "/data"],
            ["name": "config", "mountPath": "/etc/render", "readOnly": true],
        ])

        let uploader = containers[1]
        #expect(uploader["image"]?.stringValue?.hasPrefix("registry.example.com/uploader@sha256:2f9bd1c0") == true)
        #expect(uploader["args"] == ["--bucket", "frames", "--parallel", "4"])
        #expect(uploader[path: "resources", "requests"] == ["cpu": "100m", "memory": "128Mi"])
    }

    @Test("volumes, with an octal-looking mode read as decimal")
    func volumes() throws {
        let volumes = try #require(try YAML.parse(Self.pod)[path: "spec", "volumes"])
        #expect(volumes == [
            ["name": "data", "emptyDir": [:]],
            ["name": "config", "configMap": ["name": "render-config", "defaultMode": 644, "items": []]],
        ])
    }

    @Test("serializing the pod reads back the same")
    func roundTrip() throws {
        let pod = try YAML.parse(Self.pod)
        let text = YAML.serialize(pod)
        #expect(try YAML.parse(text) == pod)
        #expect(text.contains("  - |\n          set -eu\n"))
    }

    @Test("a multi-document stream")
    func stream() throws {
        let stream = """
            # leading comment
            apiVersion: v1
            kind: Namespace
            metadata: {name: batch}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: render-config
              namespace: batch
            data:
              render.conf: |
                quality=high
            ---
            ---
            # only a comment
            ...
            --- !!str
            plain text
            --- [a, b]
            """
        let documents = try YAML.parseAll(stream)
        try #require(documents.count == 6)
        #expect(documents[0] == ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "batch"]])
        #expect(documents[1][path: "data", "render.conf"] == "quality=high\n")
        #expect(documents[2] == .null)
        #expect(documents[3] == .null)
        #expect(documents[4] == "plain text")
        #expect(documents[5] == ["a", "b"])

        #expect(try YAML.parseAll("") == [])
        #expect(try YAML.parseAll("# nothing\n") == [])
        #expect(try YAML.parseAll("---\n") == [.null])
        #expect(try YAML.parseAll("a: 1\n...\n") == [["a": 1]])

        let error = #expect(throws: YAMLError.self) { try YAML.parse(stream) }
        #expect(error?.line == 5)
        #expect(error?.column == 1)
    }

    @Test("empty texts are null")
    func empty() throws {
        #expect(try YAML.parse("") == .null)
        #expect(try YAML.parse("# just a comment\n\n") == .null)
        #expect(try YAML.parse("---\n") == .null)
        #expect(try YAML.parse("~") == .null)
    }

    @Test("CRLF line endings, a byte-order mark and a %YAML directive")
    func textConventions() throws {
        let crlf = "kind: Pod\r\nargs:\r\n  - |\r\n    a\r\n    b\r\n"
        #expect(try YAML.parse(crlf) == ["kind": "Pod", "args": ["a\nb\n"]])
        #expect(try YAML.parse("\u{FEFF}kind: Pod\n") == ["kind": "Pod"])
        #expect(try YAML.parse("%YAML 1.2\n---\nkind: Pod\n") == ["kind": "Pod"])
    }

    @Test("a 1 MB manifest list parses in well under a second")
    func large() throws {
        var text = "apiVersion: v1\nkind: List\nitems:\n"
        var index = 0
        while text.utf8.count < 1_000_000 {
            text += Self.pod
                .split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.isEmpty ? "" : "  " + $0 }
                .joined(separator: "\n")
                .replacingFirst("  apiVersion: v1", with: "- apiVersion: v1")
                .replacingFirst("render-frames-0042", with: "render-frames-\(index)")
            index += 1
        }
        let clock = ContinuousClock()
        var list: JSONValue = nil
        let elapsed = try clock.measure { list = try YAML.parse(text) }
        let items = try #require(list["items"]?.arrayValue)
        #expect(items.count == index)
        #expect(items.last?[path: "metadata", "name"] == .string("render-frames-\(index - 1)"))
        #expect(elapsed < .seconds(1), "parsing \(text.utf8.count) bytes took \(elapsed)")
    }
}

extension String {
    fileprivate func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = firstRange(of: target) else { return self }
        var copy = self
        copy.replaceSubrange(range, with: replacement)
        return copy
    }
}
