import Foundation
import JSON
import PodSchema
import TaskPod
import TaskStore
import Testing
import YAML

/// taskpod's render with a `pod_override` must be exactly what `kubectl patch --local --type strategic` makes of the
/// render without it, and every Pod rendered must pass `kubernetes-validate --strict`.
@Suite("Pods: render with pod_override == kubectl patch --type strategic; kubernetes-validate --strict")
struct PodRenderDifferentialTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var template: String?
        var override: String
        /// The task's own image (a template without a base container has none).
        var image: String?
        var description: String { name }

        init(name: String, template: String?, override: String, image: String? = nil) {
            self.name = name
            self.template = template
            self.override = override
            self.image = image
        }
    }

    static let key = TaskKey(dagID: "etl_daily", taskID: "load.users", runID: "scheduled__2026-11-22T00:00:00+00:00", mapIndex: 3, tryNumber: 2)

    static let sidecarTemplate = """
        apiVersion: v1
        kind: Pod
        metadata:
          labels: {team: data}
          annotations: {owner: data-eng}
        spec:
          restartPolicy: Never
          nodeSelector: {disk: ssd}
          tolerations:
          - {key: dedicated, operator: Equal, value: batch, effect: NoSchedule}
          volumes:
          - name: data
            emptyDir: {}
          containers:
          - name: sidecar
            image: envoyproxy/envoy:v1.31
            ports:
            - {containerPort: 9901, protocol: TCP}
          - name: base
            image: python:3.12
            env:
            - {name: A, value: "1"}
            resources:
              requests: {cpu: 100m, memory: 128Mi}
              limits: {memory: 256Mi}
            volumeMounts:
            - {name: data, mountPath: /data}
        """

    static let initTemplate = """
        apiVersion: v1
        kind: Pod
        spec:
          restartPolicy: Never
          imagePullSecrets:
          - name: regcred
          hostAliases:
          - {ip: 10.0.0.1, hostnames: [db.internal]}
          initContainers:
          - name: setup
            image: busybox:1.36
            command: [sh, -c, "echo setup"]
          containers:
          - name: base
            image: python:3.12
        """

    static let noBaseTemplate = """
        apiVersion: v1
        kind: Pod
        spec:
          restartPolicy: Never
          containers:
          - name: worker
            image: example.com/worker:2
            env:
            - {name: MODE, value: batch}
        """

    static let fullTemplate = """
        apiVersion: v1
        kind: Pod
        metadata:
          finalizers: [example.com/keep, example.com/audit]
        spec:
          restartPolicy: Never
          serviceAccountName: etl
          securityContext: {runAsNonRoot: true, runAsUser: 1000}
          affinity:
            nodeAffinity:
              requiredDuringSchedulingIgnoredDuringExecution:
                nodeSelectorTerms:
                - matchExpressions:
                  - {key: pool, operator: In, values: [batch]}
          topologySpreadConstraints:
          - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway}
          containers:
          - name: base
            image: python:3.12
            ports:
            - {containerPort: 8080, name: metrics}
        """

    static let cases: [Case] = [
        Case(name: "default: base image", template: nil, override: "spec: {containers: [{name: base, image: 'python:3.13'}]}"),
        Case(name: "default: add a sidecar", template: nil, override: """
            spec: {containers: [{name: proxy, image: 'envoyproxy/envoy:v1.31', ports: [{containerPort: 9901}]}]}
            """),
        Case(name: "default: add env", template: nil, override: "spec: {containers: [{name: base, env: [{name: EXTRA, value: x}]}]}"),
        Case(name: "default: replace a generated env value", template: nil, override: """
            spec: {containers: [{name: base, env: [{name: TASKPOD_RUN_ID, value: replaced}]}]}
            """),
        Case(name: "sidecar: env add and replace", template: sidecarTemplate, override: """
            spec: {containers: [{name: base, env: [{name: A, value: "9"}, {name: B, value: "2"}]}]}
            """),
        Case(name: "sidecar: env delete", template: sidecarTemplate, override: """
            spec: {containers: [{name: base, env: [{name: A, $patch: delete}]}]}
            """),
        Case(name: "sidecar: env value to valueFrom", template: sidecarTemplate, override: """
            spec: {containers: [{name: base, env: [{name: A, value: null, valueFrom: {secretKeyRef: {name: creds, key: a}}}]}]}
            """),
        Case(name: "sidecar: env order", template: sidecarTemplate, override: """
            spec: {containers: [{name: base, $setElementOrder/env: [{name: TASKPOD_TASK_ID}, {name: A}], env: [{name: A, value: "3"}]}]}
            """),
        Case(name: "sidecar: resources partial", template: sidecarTemplate, override: """
            spec: {containers: [{name: base, resources: {requests: {memory: 1Gi}, limits: {memory: 2Gi}}}]}
            """),
        Case(name: "sidecar: resources limits null", template: sidecarTemplate, override: """
            spec: {containers: [{name: base, resources: {limits: null}}]}
            """),
        Case(name: "sidecar: resources one request null", template: sidecarTemplate, override: """
            spec: {containers: [{name: base, resources: {requests: {cpu: null}, limits: {cpu: "2"}}}]}
            """),
        Case(name: "sidecar: resources $patch replace", template: sidecarTemplate, override: """
            spec: {containers: [{name: base, resources: {$patch: replace, limits: {cpu: "1", memory: 1Gi}}}]}
            """),
        Case(name: "sidecar: resources null", template: sidecarTemplate, override: "spec: {containers: [{name: base, resources: null}]}"),
        Case(name: "sidecar: tolerations replaced", template: sidecarTemplate, override: """
            spec: {tolerations: [{key: gpu, operator: Exists, effect: NoSchedule}]}
            """),
        Case(name: "sidecar: nodeSelector merged", template: sidecarTemplate, override: "spec: {nodeSelector: {zone: a}}"),
        Case(name: "sidecar: nodeSelector $patch replace", template: sidecarTemplate, override: """
            spec: {nodeSelector: {$patch: replace, zone: b}}
            """),
        Case(name: "sidecar: nodeSelector key null", template: sidecarTemplate, override: "spec: {nodeSelector: {disk: null, zone: c}}"),
        Case(name: "sidecar: nodeSelector null", template: sidecarTemplate, override: "spec: {nodeSelector: null}"),
        Case(name: "sidecar: sidecar image only", template: sidecarTemplate, override: """
            spec: {containers: [{name: sidecar, image: 'envoyproxy/envoy:v1.32'}]}
            """),
        Case(name: "sidecar: containers $patch replace", template: sidecarTemplate, override: """
            spec: {containers: [{$patch: replace}, {name: base, image: 'python:3.12-slim', command: [python, -c, pass]}]}
            """),
        Case(name: "sidecar: sidecar deleted", template: sidecarTemplate, override: """
            spec: {containers: [{name: sidecar, $patch: delete}]}
            """),
        Case(name: "sidecar: volume and mount added", template: sidecarTemplate, override: """
            spec:
              volumes: [{name: config, configMap: {name: etl-config}}]
              containers: [{name: base, volumeMounts: [{name: config, mountPath: /etc/etl, readOnly: true}]}]
            """),
        Case(name: "sidecar: mount changed by mountPath", template: sidecarTemplate, override: """
            spec: {containers: [{name: base, volumeMounts: [{mountPath: /data, readOnly: true, subPath: day}]}]}
            """),
        Case(name: "sidecar: volume source swapped with $retainKeys", template: sidecarTemplate, override: """
            spec: {volumes: [{name: data, $retainKeys: [name, hostPath], hostPath: {path: /mnt/data}}]}
            """),
        Case(name: "sidecar: ports merged by containerPort", template: sidecarTemplate, override: """
            spec: {containers: [{name: sidecar, ports: [{containerPort: 9901, name: admin}, {containerPort: 9902}]}]}
            """),
        Case(name: "sidecar: container order", template: sidecarTemplate, override: """
            spec: {$setElementOrder/containers: [{name: base}, {name: sidecar}]}
            """),
        Case(name: "sidecar: labels and annotations", template: sidecarTemplate, override: """
            metadata: {labels: {size: big, team: ml}, annotations: {owner: null, cost-center: "42"}}
            """),
        Case(name: "sidecar: command and args replaced", template: sidecarTemplate, override: """
            spec: {containers: [{name: base, command: [bash, -lc], args: ["python -m etl.load --full"]}]}
            """),
        Case(name: "sidecar: namespace", template: sidecarTemplate, override: "metadata: {namespace: team-a}"),
        Case(name: "sidecar: sidecar resources", template: sidecarTemplate, override: """
            spec: {containers: [{name: sidecar, resources: {requests: {cpu: 50m}, limits: {cpu: 500m, memory: 64Mi}}}]}
            """),
        Case(name: "sidecar: probes", template: sidecarTemplate, override: """
            spec: {containers: [{name: base, readinessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 5}}]}
            """),
        Case(name: "sidecar: pod settings", template: sidecarTemplate, override: """
            spec: {activeDeadlineSeconds: 3600, dnsConfig: {options: [{name: ndots, value: "2"}]}, enableServiceLinks: false}
            """),
        Case(name: "init: another init container", template: initTemplate, override: """
            spec: {initContainers: [{name: migrate, image: 'example.com/migrate:1', args: [up]}]}
            """),
        Case(name: "init: init command changed", template: initTemplate, override: """
            spec: {initContainers: [{name: setup, command: [sh, -c, "echo changed"]}]}
            """),
        Case(name: "init: init container deleted", template: initTemplate, override: """
            spec: {initContainers: [{name: setup, $patch: delete}]}
            """),
        Case(name: "init: native sidecar", template: initTemplate, override: """
            spec: {initContainers: [{name: log-shipper, image: 'fluent/fluent-bit:3', restartPolicy: Always}]}
            """),
        Case(name: "init: imagePullSecrets added", template: initTemplate, override: "spec: {imagePullSecrets: [{name: other}]}"),
        Case(name: "init: imagePullSecrets replaced", template: initTemplate, override: """
            spec: {imagePullSecrets: [{$patch: replace}, {name: only}]}
            """),
        Case(name: "init: hostAliases merged by ip", template: initTemplate, override: """
            spec: {hostAliases: [{ip: 10.0.0.1, hostnames: [db.internal, db]}, {ip: 10.0.0.2, hostnames: [cache]}]}
            """),
        Case(name: "no base: base image", template: noBaseTemplate, override: "spec: {containers: [{name: base, image: 'python:3.11'}]}",
             image: "python:3.12"),
        Case(name: "no base: base image and worker env", template: noBaseTemplate, override: """
            spec: {containers: [{name: base, image: 'python:3.11'}, {name: worker, env: [{name: MODE, value: stream}]}]}
            """, image: "python:3.12"),
        Case(name: "full: finalizers merged as a set", template: fullTemplate, override: """
            metadata: {finalizers: [example.com/extra, example.com/keep]}
            """),
        Case(name: "full: a finalizer deleted", template: fullTemplate, override: """
            metadata: {$deleteFromPrimitiveList/finalizers: [example.com/audit]}
            """),
        Case(name: "full: topology spread merged by topologyKey", template: fullTemplate, override: """
            spec: {topologySpreadConstraints: [{topologyKey: topology.kubernetes.io/zone, maxSkew: 2, whenUnsatisfiable: DoNotSchedule}]}
            """),
        Case(name: "full: affinity $patch delete", template: fullTemplate, override: "spec: {affinity: {$patch: delete}}"),
        Case(name: "full: securityContext null", template: fullTemplate, override: "spec: {securityContext: null}"),
        Case(name: "full: securityContext merged", template: fullTemplate, override: "spec: {securityContext: {fsGroup: 2000}}"),
        Case(name: "full: ports merged", template: fullTemplate, override: """
            spec: {containers: [{name: base, ports: [{containerPort: 8080, name: http}, {containerPort: 9090, name: metrics2}]}]}
            """),
        Case(name: "default: tolerations added, nulls dropped", template: nil, override: """
            spec: {tolerations: [{key: spot, operator: Exists, value: null}]}
            """),
        Case(name: "default: GPU", template: nil, override: """
            spec: {containers: [{name: base, resources: {requests: {nvidia.com/gpu: 1}, limits: {nvidia.com/gpu: 1, cpu: 2}}}]}
            """),
        Case(name: "default: volumes with items", template: nil, override: """
            spec:
              volumes: [{name: cfg, configMap: {name: c, items: [{key: a, path: a.yaml}]}}]
              containers: [{name: base, volumeMounts: [{name: cfg, mountPath: /cfg, subPath: a.yaml}]}]
            """),
        Case(name: "default: scheduling", template: nil, override: """
            spec: {priorityClassName: batch-low, serviceAccountName: runner, schedulerName: default-scheduler}
            """),
    ]

    static func render(_ testCase: Case, withOverride: Bool) throws -> JSONValue {
        let template = try testCase.template.map { try PodBuilder.checkTemplate(YAML.parse($0), source: "template") }
        let builder = PodBuilder(
            template: template ?? PodBuilder.defaultTemplate, defaultNamespace: "jobs", defaultImage: nil, controllerID: "ctl-1")
        let override = try YAML.parse(testCase.override)
        let spec = TaskSpec(
            command: ["python", "-m", "etl.load"], image: testCase.image, podOverride: withOverride ? override : JSONValue?.none, env: ["LOG_LEVEL": "info"])
        return try builder.build(id: 7, key: key, spec: spec)
    }

    @Test("at least 40 template/override pairs, each identical to kubectl's result and valid by kubernetes-validate --strict")
    func differential() async throws {
        #expect(Self.cases.count >= 40)
        let start = ContinuousClock.now
        let pairs = try Self.cases.map { testCase in
            (testCase, try Self.render(testCase, withOverride: false), try Self.render(testCase, withOverride: true),
             try YAML.parse(testCase.override))
        }
        let kubectl = try await PodRenderTools.concurrentMap(pairs.map { ($0.1, $0.3) }, limit: 4) { base, override in
            try await PodRenderTools.kubectlPatch(base, with: override)
        }
        for ((testCase, _, ours, _), theirs) in zip(pairs, kubectl) {
            switch theirs {
            case .failure(let error):
                Issue.record("\(testCase): kubectl refused the override: \(error)")
            case .success(let pod):
                let expected = PodRenderTools.normalized(pod)
                let actual = PodRenderTools.normalized(ours)
                #expect(actual == expected, "\(testCase):\nkubectl: \(expected.prettyJSONString)\ntaskpod: \(actual.prettyJSONString)")
            }
        }
        let rendered = pairs.flatMap { [$0.1, $0.2] }
        let verdicts = try await PodRenderTools.kubernetesValidate(rendered)
        #expect(verdicts.count == rendered.count)
        for (index, verdict) in verdicts.enumerated() {
            #expect(verdict == nil, "\(pairs[index / 2].0) (\(index % 2 == 0 ? "without" : "with") the override): \(verdict ?? "")")
        }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed < .seconds(60), "the differential run took \(elapsed)")
    }

    @Test("every Pod rendered by the builder tests passes kubernetes-validate --strict")
    func builderPodsValidate() async throws {
        let pods = try PodBuilderTests.renderedPods()
        let verdicts = try await PodRenderTools.kubernetesValidate(pods)
        for (pod, verdict) in zip(pods, verdicts) {
            #expect(verdict == nil, "\(pod[path: "metadata", "name"] ?? nil): \(verdict ?? "")")
        }
    }
}
