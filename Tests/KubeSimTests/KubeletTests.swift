import Foundation
import JSON
import KubeSim
import Testing

@Suite("Simulated kubelet")
struct KubeletTests {
    @Test func scriptedPodSucceedsWithItsLog() async throws {
        try await withKubeSim { _, client in
            try await client.createPod(
                "logger",
                annotations: [
                    "kubesim.taskpod.io/log": "first\nsecond\nthird", "kubesim.taskpod.io/run-seconds": "0.1",
                ])
            let done = try await client.waitForPod("logger") { $0.phase == "Succeeded" }
            let status = done[path: "status", "containerStatuses"]?.arrayValue?.first
            #expect(status?[path: "state", "terminated", "exitCode"] == 0)
            #expect(status?[path: "state", "terminated", "reason"] == "Completed")
            #expect(status?[path: "state", "terminated", "startedAt"]?.stringValue != nil)
            #expect(done[path: "spec", "nodeName"] == "kubesim-node-1")
            #expect(done[path: "status", "startTime"]?.stringValue != nil)
            let conditions = done[path: "status", "conditions"]?.arrayValue ?? []
            #expect(conditions.contains { $0["type"] == "PodScheduled" && $0["status"] == "True" })
            let log = try await client.get("/api/v1/namespaces/default/pods/logger/log")
            #expect(log.status == 200)
            #expect(log.text == "first\nsecond\nthird\n")
        }
    }

    @Test func scriptedExitCodeAndOOM() async throws {
        try await withKubeSim { _, client in
            try await client.createPod("fails", annotations: ["kubesim.taskpod.io/exit-code": "2"])
            try await client.createPod("oom", annotations: ["kubesim.taskpod.io/oom": "true"])
            let failed = try await client.waitForPod("fails") { $0.phase == "Failed" }
            #expect(failed[path: "status", "containerStatuses"]?.arrayValue?.first?[path: "state", "terminated"]?
                .objectValue.map { [$0["exitCode"], $0["reason"]] } == [2, "Error"])
            let oom = try await client.waitForPod("oom") { $0.phase == "Failed" }
            let terminated = oom[path: "status", "containerStatuses"]?.arrayValue?.first?[path: "state", "terminated"]
            #expect(terminated?["exitCode"] == 137)
            #expect(terminated?["reason"] == "OOMKilled")
        }
    }

    @Test func faultAnnotations() async throws {
        try await withKubeSim { _, client in
            try await client.createPod("unschedulable", annotations: ["kubesim.taskpod.io/unschedulable": "true"])
            try await client.createPod("badimage", annotations: ["kubesim.taskpod.io/image-pull-error": "true"])
            try await client.createPod(
                "evicted",
                annotations: ["kubesim.taskpod.io/evict-after-seconds": "0.05", "kubesim.taskpod.io/run-seconds": "10"])
            let pending = try await client.waitForPod("unschedulable") {
                $0[path: "status", "conditions"]?.arrayValue?.first?["reason"] == "Unschedulable"
            }
            #expect(pending.phase == "Pending")
            #expect(pending[path: "status", "conditions"]?.arrayValue?.first?["message"]
                == "0/1 nodes are available: 1 Insufficient cpu.")
            let backoff = try await client.waitForPod("badimage") {
                $0[path: "status", "containerStatuses"]?.arrayValue?.first?[path: "state", "waiting", "reason"]
                    == "ImagePullBackOff"
            }
            #expect(backoff.phase == "Pending")
            let log = try await client.get("/api/v1/namespaces/default/pods/badimage/log")
            #expect(log.status == 400)
            #expect(log.json["message"]
                == #"container "base" in pod "badimage" is waiting to start: image can't be pulled"#)
            let evicted = try await client.waitForPod("evicted") { $0.phase == "Failed" }
            #expect(evicted[path: "status", "reason"] == "Evicted")
        }
    }

    @Test func execModeRunsTheCommand() async throws {
        try await withKubeSim(fastConfiguration { $0.mode = .exec }) { _, client in
            try await client.createPod(
                "shell",
                containers: [[
                    "name": "base", "image": "busybox",
                    "command": ["/bin/sh", "-c"], "args": ["echo hi; echo err >&2; echo $GREETING; exit 3"],
                    "env": [["name": "GREETING", "value": "hello from env"]],
                ]])
            let failed = try await client.waitForPod("shell") { $0.phase == "Failed" }
            let terminated = failed[path: "status", "containerStatuses"]?.arrayValue?.first?[
                path: "state", "terminated"]
            #expect(terminated?["exitCode"] == 3)
            #expect(terminated?["reason"] == "Error")
            let log = try await client.get("/api/v1/namespaces/default/pods/shell/log")
            let lines = Set(log.text.split(separator: "\n").map(String.init))
            #expect(lines == ["hi", "err", "hello from env"])

            try await client.createPod(
                "missing", containers: [["name": "base", "image": "busybox", "command": ["no-such-command-kubesim"]]])
            let cannotRun = try await client.waitForPod("missing") { $0.phase == "Failed" }
            let state = cannotRun[path: "status", "containerStatuses"]?.arrayValue?.first?[path: "state", "terminated"]
            #expect(state?["exitCode"] == 127)
            #expect(state?["reason"] == "ContainerCannotRun")
        }
    }

    @Test func execModeDeletionStopsTheProcess() async throws {
        try await withKubeSim(fastConfiguration { $0.mode = .exec }) { _, client in
            try await client.createPod(
                "sleeper", containers: [["name": "base", "image": "busybox", "command": ["sleep", "30"]]])
            _ = try await client.waitForPod("sleeper") { $0.phase == "Running" }
            let start = ContinuousClock.now
            #expect(try await client.delete("/api/v1/namespaces/default/pods/sleeper").status == 200)
            let deadline = ContinuousClock.now + .seconds(5)
            while try await client.get("/api/v1/namespaces/default/pods/sleeper").status != 404 {
                try #require(ContinuousClock.now < deadline, "the pod was not removed after SIGTERM")
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(ContinuousClock.now - start < .seconds(10))
        }
    }

    @Test func logOptions() async throws {
        try await withKubeSim(fastConfiguration { $0.startDelay = .seconds(3) }) { _, client in
            let lines = (1...5).map { "line \($0)" }.joined(separator: "\n")
            try await client.createPod(
                "talker", annotations: ["kubesim.taskpod.io/log": lines, "kubesim.taskpod.io/run-seconds": "0.5"])
            _ = try await client.waitForPod("talker") {
                $0[path: "status", "containerStatuses"]?.arrayValue?.first?[path: "state", "waiting"] != nil
            }
            let waiting = try await client.get("/api/v1/namespaces/default/pods/talker/log")
            #expect(waiting.status == 400)
            #expect(waiting.json["message"]
                == #"container "base" in pod "talker" is waiting to start: ContainerCreating"#)

            _ = try await client.waitForPod("talker") { $0.phase == "Running" }
            let follow = try client.watch("/api/v1/namespaces/default/pods/talker/log?follow=true")
            defer { follow.cancel() }
            try await follow.waitUntilFinished()
            #expect(follow.text == lines + "\n")

            let tail = try await client.get("/api/v1/namespaces/default/pods/talker/log?tailLines=2")
            #expect(tail.text == "line 4\nline 5\n")
            let limited = try await client.get("/api/v1/namespaces/default/pods/talker/log?limitBytes=9")
            #expect(limited.text == "line 1\nli")
            let stamped = try await client.get("/api/v1/namespaces/default/pods/talker/log?timestamps=true&tailLines=1")
            #expect(stamped.text.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line 5\n/) != nil)
        }
    }

    @Test func multiContainerLogNeedsAContainer() async throws {
        try await withKubeSim { _, client in
            try await client.createPod(
                "pair",
                annotations: ["kubesim.taskpod.io/log": "from base"],
                containers: [["name": "sidecar", "image": "envoy"], ["name": "base", "image": "busybox"]])
            let done = try await client.waitForPod("pair") { $0.phase == "Succeeded" }
            let statuses = done[path: "status", "containerStatuses"]?.arrayValue ?? []
            #expect(statuses.map { $0[path: "state", "terminated", "reason"] } == ["Completed", "Completed"])
            let ambiguous = try await client.get("/api/v1/namespaces/default/pods/pair/log")
            #expect(ambiguous.status == 400)
            #expect(ambiguous.json["message"]
                == "a container name must be specified for pod pair, choose one of: [sidecar base]")
            let base = try await client.get("/api/v1/namespaces/default/pods/pair/log?container=base")
            #expect(base.text == "from base\n")
            #expect(try await client.get("/api/v1/namespaces/default/pods/pair/log?container=sidecar").text == "")
        }
    }

    @Test func configErrorsAndSlowStarts() async throws {
        try await withKubeSim { _, client in
            try await client.createPod("noconfig", annotations: ["kubesim.taskpod.io/config-error": "true"])
            try await client.createPod(
                "nokey", annotations: [
                    "kubesim.taskpod.io/config-error": #"couldn't find key password in Secret default/db"#,
                ])
            let created = ContinuousClock.now
            try await client.createPod(
                "slow", annotations: ["kubesim.taskpod.io/start-seconds": "0.6", "kubesim.taskpod.io/run-seconds": "0"])
            let stuck = try await client.waitForPod("noconfig") {
                $0[path: "status", "containerStatuses"]?.arrayValue?.first?[path: "state", "waiting", "reason"]
                    == "CreateContainerConfigError"
            }
            #expect(stuck.phase == "Pending")
            #expect(stuck[path: "status", "containerStatuses"]?.arrayValue?.first?[path: "state", "waiting", "message"]
                == #"secret "kubesim-missing" not found"#)
            let keyed = try await client.waitForPod("nokey") {
                $0[path: "status", "containerStatuses"]?.arrayValue?.first?[path: "state", "waiting", "message"]
                    == #"couldn't find key password in Secret default/db"#
            }
            #expect(keyed.phase == "Pending")
            let log = try await client.get("/api/v1/namespaces/default/pods/noconfig/log")
            #expect(log.status == 400)
            #expect(log.json["message"]
                == #"container "base" in pod "noconfig" is waiting to start: CreateContainerConfigError"#)
            // ContainerCreating for the annotated time rather than the configured delay, then Running and done.
            _ = try await client.waitForPod("slow") { $0.phase == "Running" || $0.phase == "Succeeded" }
            #expect(ContinuousClock.now - created >= .milliseconds(600))
            _ = try await client.waitForPod("slow") { $0.phase == "Succeeded" }
            // A stuck Pod is removed at once when deleted.
            #expect(try await client.delete("/api/v1/namespaces/default/pods/noconfig").status == 200)
            let deadline = ContinuousClock.now + .seconds(3)
            while try await client.get("/api/v1/namespaces/default/pods/noconfig").status != 404 {
                try #require(ContinuousClock.now < deadline, "the stuck pod was not removed")
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }
}
