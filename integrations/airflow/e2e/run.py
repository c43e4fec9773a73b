"""Airflow 3 runs its tasks on taskpod, end to end, with the real Airflow.

KubeSim in exec mode runs each Pod's command here as a process; `taskpod controller` serves its API; Airflow's
api-server, dag-processor and scheduler (SQLite metadata DB) use `taskpod_airflow.TaskPodExecutor`. The DAGs in
dags/taskpod_e2e.py run at once; while tp_sleepy's tasks run, the scheduler is killed with SIGKILL and started
again: its tasks must be adopted and finish with exactly one Pod each. Then every outcome is checked through
Airflow's REST API, taskpod's API and KubeSim's audit log, and finished tasks' logs are read through the API
server's task log endpoint after their Pods are deleted.

    python integrations/airflow/e2e/run.py --taskpod .build/debug/taskpod --kubesim .build/debug/kubesim
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Stack, http_json, wait_for  # noqa: E402

RUN_ID = "e2e"
DAGS = ["tp_plain", "tp_fails", "tp_mapped", "tp_override", "tp_invalid", "tp_sleepy"]
MARKER = "TASKPOD-E2E-MARKER"


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed: list[str] = []

    def check(self, condition: bool, what: str, detail: str = ""):
        if condition:
            self.passed += 1
            print(f"  ok    {what}")
        else:
            self.failed.append(what)
            print(f"  FAIL  {what}{': ' + detail if detail else ''}")


def airflow_get(stack: Stack, path: str):
    return http_json("GET", stack.airflow_url + "/api/v2" + path)


def task_instances(stack: Stack, dag_id: str) -> list[dict]:
    return airflow_get(stack, f"/dags/{dag_id}/dagRuns/{RUN_ID}/taskInstances?limit=100")["task_instances"]


def run_state(stack: Stack, dag_id: str) -> str:
    return airflow_get(stack, f"/dags/{dag_id}/dagRuns/{RUN_ID}")["state"]


def task_log(stack: Stack, dag_id: str, task_id: str, try_number: int, map_index: int = -1) -> dict:
    query = f"?map_index={map_index}" if map_index >= 0 else ""
    return airflow_get(stack, f"/dags/{dag_id}/dagRuns/{RUN_ID}/taskInstances/{task_id}/logs/{try_number}{query}")


def log_text(answer: dict) -> str:
    content = answer.get("content", [])
    if isinstance(content, str):
        return content
    # Each item is one structured message (event, level, error_detail, ...); keep all of it searchable.
    return "\n".join(json.dumps(item) if isinstance(item, dict) else str(item) for item in content)


def event_logs(stack: Stack, dag_id: str) -> list[dict]:
    return airflow_get(stack, f"/eventLogs?dag_id={dag_id}&limit=100")["event_logs"]


def kubesim_request(stack: Stack, method: str, path: str):
    import yaml

    config = yaml.safe_load((stack.folder / "kubeconfig").read_text())
    cluster = config["clusters"][0]["cluster"]
    user = config["users"][0].get("user", {}) or {}
    headers = {"Authorization": f"Bearer {user['token']}"} if user.get("token") else {}
    import ssl
    import urllib.request

    context = None
    if cluster["server"].startswith("https"):
        context = ssl.create_default_context(cafile=cluster.get("certificate-authority"))
    request = urllib.request.Request(cluster["server"] + path, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=30, context=context) as response:
        return json.loads(response.read())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--taskpod", required=True)
    parser.add_argument("--kubesim", required=True)
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (logs, DBs) at the end")
    parser.add_argument("--timeout", type=float, default=600, help="seconds for all DAG runs to end")
    options = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="taskpod-airflow-e2e-"))
    print(f"Airflow end-to-end run in {folder}")
    # Pods are kept after they end (so the test can read the Pod KubeSim got); the test deletes them itself
    # before reading logs through Airflow.
    stack = Stack(folder, options.taskpod, options.kubesim, controller_args=["--delete-worker-pods", "false"])
    checks = Checks()
    started = time.monotonic()
    try:
        stack.start_taskpod()
        print(f"taskpod at {stack.taskpod_url}; starting Airflow (api-server at {stack.airflow_url})")
        stack.start_airflow()
        live = list(stack.processes.values())
        wait_for("the DAGs parsed", lambda: {d["dag_id"] for d in airflow_get(stack, "/dags?limit=100")["dags"]}
                 >= set(DAGS), 180, interval=1, processes=live)
        for dag_id in DAGS:
            http_json("POST", f"{stack.airflow_url}/api/v2/dags/{dag_id}/dagRuns",
                      {"dag_run_id": RUN_ID, "logical_date": None})
        print(f"triggered {len(DAGS)} DAG runs ({time.monotonic() - started:.0f} s in)")

        # While tp_sleepy's three tasks run, kill the scheduler (no chance to clean up) and start another.
        wait_for("tp_sleepy's tasks running in taskpod",
                 lambda: len(stack.taskpod_tasks(dag_id="tp_sleepy", state="running")) == 3, 240, interval=0.5,
                 processes=live)
        # A running task's log, through the API server (the executor's get_task_log reads it from taskpod).
        def running_log():
            (ti,) = [ti for ti in task_instances(stack, "tp_sleepy") if ti["map_index"] == 0]
            return ti["state"] == "running" and log_text(task_log(stack, "tp_sleepy", "nap", 1, map_index=0))
        try:
            text = wait_for("a running task's log", lambda: (t := running_log()) and f"{MARKER} napping" in t and t,
                            180, interval=1, processes=live)
            checks.check("Pod output so far, from taskpod task" in text,
                         "a running task's log comes from taskpod through the executor", text[-300:])
        except TimeoutError as error:
            checks.check(False, "a running task's log comes from taskpod through the executor", str(error))
        stack.processes["scheduler"].kill()
        stack.processes["scheduler"].popen.wait()
        print(f"scheduler killed with SIGKILL while tp_sleepy runs ({time.monotonic() - started:.0f} s in)")
        time.sleep(1)
        stack.start_scheduler("scheduler-2")
        live = [p for name, p in stack.processes.items() if name != "scheduler"]

        def all_done():
            return all(run_state(stack, dag_id) in ("success", "failed") for dag_id in DAGS)

        wait_for("every DAG run ended", all_done, options.timeout, interval=2, processes=live)
        print(f"every DAG run ended ({time.monotonic() - started:.0f} s in)\n")
        check_outcomes(stack, checks)
    except Exception as error:
        checks.check(False, "the end-to-end run completed", f"{type(error).__name__}: {error}")
        for name, process in stack.processes.items():
            print(f"--- last lines of {name} ---\n{process.tail(30)}")
    finally:
        stack.stop()
    print(f"\nairflow-e2e: {checks.passed} passed, {len(checks.failed)} failed "
          f"({time.monotonic() - started:.0f} s)")
    if checks.failed or options.keep:
        print(f"scratch folder kept: {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if checks.failed else 0


def check_outcomes(stack: Stack, checks: Checks):
    tasks = stack.taskpod_tasks()
    by_key = Counter((t["dag_id"], t["task_id"], t["run_id"], t["map_index"], t["try_number"]) for t in tasks)
    pod_names = {t["pod_name"] for t in tasks if t.get("pod_name")}
    creates = [e for e in stack.audit() if e.get("verb") == "create" and e.get("code") == 201 and e.get("pod")]
    creates_per_pod = Counter(e["pod"] for e in creates)
    checks.check(all(count == 1 for count in by_key.values()), "one taskpod task per try",
                 str([k for k, c in by_key.items() if c > 1]))
    checks.check(all(creates_per_pod[name] == 1 for name in pod_names) and set(creates_per_pod) == pod_names,
                 f"exactly one Pod created per taskpod task ({len(creates)} Pods for {len(pod_names)} tasks)",
                 f"creates {dict(creates_per_pod)}")

    def tis(dag_id):
        return sorted(task_instances(stack, dag_id), key=lambda ti: ti.get("map_index", -1))

    # A plain task.
    (plain,) = tis("tp_plain")
    checks.check(plain["state"] == "success" and run_state(stack, "tp_plain") == "success", "tp_plain succeeded",
                 plain["state"])
    checks.check(by_key[("tp_plain", "say", RUN_ID, -1, 1)] == 1, "tp_plain ran in one Pod")

    # A task that raises: failed, and its retry ran as a new try in a new Pod.
    (boom,) = tis("tp_fails")
    checks.check(boom["state"] == "failed" and boom["try_number"] == 2, "tp_fails failed after its retry",
                 f"{boom['state']}, try {boom['try_number']}")
    checks.check(by_key[("tp_fails", "boom", RUN_ID, -1, 1)] == 1 and by_key[("tp_fails", "boom", RUN_ID, -1, 2)] == 1,
                 "each try of tp_fails had its own Pod")

    # A mapped task.
    mapped = tis("tp_mapped")
    checks.check([ti["map_index"] for ti in mapped] == [0, 1, 2] and all(ti["state"] == "success" for ti in mapped),
                 "tp_mapped's three map indexes succeeded", str([(ti["map_index"], ti["state"]) for ti in mapped]))
    checks.check(all(by_key[("tp_mapped", "square", RUN_ID, i, 1)] == 1 for i in range(3)),
                 "each map index had its own Pod")

    # pod_override raising CPU and memory: the Pod KubeSim got.
    (big,) = tis("tp_override")
    checks.check(big["state"] == "success", "tp_override succeeded", big["state"])
    (big_task,) = [t for t in tasks if t["dag_id"] == "tp_override"]
    pod = kubesim_request(stack, "GET", f"/api/v1/namespaces/default/pods/{big_task['pod_name']}")
    base = next(c for c in pod["spec"]["containers"] if c["name"] == "base")
    resources = base.get("resources", {})
    checks.check(resources.get("requests", {}).get("cpu") == "1500m"
                 and resources.get("requests", {}).get("memory") == "1536Mi"
                 and resources.get("limits", {}).get("memory") == "2Gi",
                 "the Pod got the pod_override's CPU and memory", json.dumps(resources))
    checks.check(base.get("args", [None])[:3] == ["python", "-m", "airflow.sdk.execution_time.execute_workload"]
                 and not base.get("command"), "the worker runs as args (the image's entrypoint stays)")
    checks.check(big_task["sensitive"] and all(a == "<redacted>" for a in big_task["args"]),
                 "taskpod's API never shows the workload (its JWT)")

    # An invalid override: failed with taskpod's reason, visible in Airflow's event log; no Pod.
    (bad,) = tis("tp_invalid")
    checks.check(bad["state"] == "failed", "tp_invalid failed", bad["state"])
    checks.check(not any(t["dag_id"] == "tp_invalid" for t in tasks), "taskpod stored no task for tp_invalid")
    extras = " ".join(str(e.get("extra")) for e in event_logs(stack, "tp_invalid"))
    checks.check("pod_override.spec.containers[0].resources.limits.memory" in extras,
                 "Airflow's event log names the refused field", extras[:300])

    # The scheduler killed while tp_sleepy ran: adopted, one Pod each, all succeeded.
    sleepy = tis("tp_sleepy")
    checks.check(all(ti["state"] == "success" for ti in sleepy) and len(sleepy) == 3,
                 "tp_sleepy's tasks succeeded across the scheduler's SIGKILL",
                 str([(ti["map_index"], ti["state"], ti["try_number"]) for ti in sleepy]))
    checks.check(all(by_key[("tp_sleepy", "nap", RUN_ID, i, 1)] == 1 for i in range(3))
                 and sum(1 for k in by_key if k[0] == "tp_sleepy") == 3,
                 "tp_sleepy ran exactly one Pod per task (no relaunch after the restart)")
    second = stack.processes["scheduler-2"].log_path.read_text(errors="replace")
    adopted = set(re.findall(r"adopted TaskInstanceKey\(dag_id='tp_sleepy', task_id='nap', run_id='e2e', "
                             r"try_number=1, map_index=(\d)\)", second))
    checks.check(adopted == {"0", "1", "2"}, "the new scheduler adopted tp_sleepy's three running tasks",
                 f"map indexes adopted: {sorted(adopted)}")

    # Finished tasks' logs through Airflow's own log endpoint, after their Pods are deleted.
    for task in tasks:
        if task.get("pod_name"):
            kubesim_request(stack, "DELETE", f"/api/v1/namespaces/default/pods/{task['pod_name']}")
    wait_for("Pods deleted", lambda: not kubesim_request(stack, "GET", "/api/v1/namespaces/default/pods")["items"],
             60, interval=0.5)
    text = log_text(task_log(stack, "tp_plain", "say", 1))
    checks.check(f"{MARKER} plain task ran" in text, "tp_plain's log (from taskpod) in Airflow after its Pod is gone",
                 text[-500:])
    checks.check("Log kept by taskpod task" in text, "the log names taskpod as its source")
    first_try = log_text(task_log(stack, "tp_fails", "boom", 1))
    checks.check("the task failed on purpose" in first_try and f"{MARKER} about to fail" in first_try,
                 "the first try's log of tp_fails holds the task's error", first_try[-500:])
    mapped_log = log_text(task_log(stack, "tp_mapped", "square", 1, map_index=2))
    checks.check(f"{MARKER} mapped 3" in mapped_log, "a map index's own log", mapped_log[-300:])


if __name__ == "__main__":
    sys.exit(main())
