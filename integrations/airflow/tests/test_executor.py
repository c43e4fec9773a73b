"""TaskPodExecutor against a real taskpod controller (its HTTP API) and KubeSim in scripted mode, started here.

Run by `make airflow-test` (integrations/airflow/e2e/run_tests.py), which passes the built binaries.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import unittest
import uuid
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from harness import Stack  # noqa: E402

STACK: Stack | None = None


def setUpModule():
    global STACK
    folder = Path(tempfile.mkdtemp(prefix="taskpod-airflow-unit-"))
    STACK = Stack(folder, os.environ["TASKPOD_BINARY"], os.environ["KUBESIM_BINARY"], kubesim_mode="scripted")
    STACK.start_taskpod()
    os.environ.update({k: v for k, v in STACK.env.items() if k.startswith("AIRFLOW")})


def tearDownModule():
    if STACK is not None:
        STACK.stop()


def annotations(**values: str) -> dict:
    return {"metadata": {"annotations": {f"kubesim.taskpod.io/{k.replace('_', '-')}": v for k, v in values.items()}}}


def workload(task_id: str, *, pod_override=None, try_number: int = 1, map_index: int = -1, external_id=None,
             executor_config=None):
    from airflow.executors.workloads import BundleInfo, ExecuteTask
    from airflow.executors.workloads.task import TaskInstanceDTO

    ti = TaskInstanceDTO(
        id=uuid.uuid4(), task_id=task_id, dag_id="unit", run_id=f"run-{uuid.uuid4().hex[:8]}",
        try_number=try_number, map_index=map_index, dag_version_id=uuid.uuid4(), pool_slots=1,
        priority_weight=1, queue="default", external_executor_id=external_id or str(uuid.uuid4()),
        executor_config=executor_config or ({"pod_override": pod_override} if pod_override else None))
    return ExecuteTask(token="secret-jwt-" + uuid.uuid4().hex, ti=ti, dag_rel_path="unit.py",
                       bundle_info=BundleInfo(name="dags-folder"), log_path="unit.log")


def make_executor(**settings):
    from taskpod_airflow.executor import TaskPodExecutor
    from taskpod_airflow.settings import TaskPodSettings

    executor = TaskPodExecutor()
    executor._settings = TaskPodSettings(api_url=settings.pop("api_url", STACK.taskpod_url),
                                         token_file=str(STACK.token_file), **settings)
    return executor


def submit(executor, *workloads):
    for w in workloads:
        executor.queued_tasks[w.ti.key] = w
    executor.heartbeat()


def wait_event(executor, key, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        executor.sync()
        if key in executor.event_buffer:
            return executor.event_buffer[key]
        time.sleep(0.2)
    raise AssertionError(f"no event for {key} after {timeout} s; running={executor.running}")


class FakeTI:
    """What try_adopt_task_instances and revoke_task read of a TaskInstance."""

    def __init__(self, w):
        self.dag_id, self.task_id, self.run_id = w.ti.dag_id, w.ti.task_id, w.ti.run_id
        self.map_index, self.try_number = w.ti.map_index, w.ti.try_number
        self.external_executor_id = w.ti.external_executor_id
        self.key = w.ti.key


class ExecutorTests(unittest.TestCase):
    def test_import_costs_only_the_standard_library(self):
        code = "import sys, taskpod_airflow; print(sorted(m for m in sys.modules if m.split('.')[0] in ('airflow', 'kubernetes', 'httpx', 'pydantic')))"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        self.assertEqual(out.strip(), "[]")

    def test_a_task_runs_as_one_pod_and_succeeds(self):
        from airflow.utils.state import TaskInstanceState

        executor = make_executor()
        w = workload("ok", pod_override=annotations(log="hello from the pod"))
        submit(executor, w)
        self.assertNotIn(w.ti.key, executor.queued_tasks)
        self.assertIn(w.ti.key, executor.running)
        state, info = wait_event(executor, w.ti.key)
        self.assertEqual(state, TaskInstanceState.SUCCESS)
        self.assertIn("taskpod task", info)
        self.assertNotIn(w.ti.key, executor.running)
        (task,) = STACK.taskpod_tasks(external_id=w.ti.external_executor_id)
        self.assertEqual((task["dag_id"], task["task_id"], task["try_number"]), ("unit", "ok", 1))
        self.assertTrue(task["sensitive"])
        self.assertNotIn(w.token, str(task))
        self.assertEqual(task["args"][:1], ["<redacted>"])
        messages, logs = executor.get_task_log(FakeTI(w), 1)
        self.assertIn("hello from the pod", "".join(logs))
        self.assertTrue(any("taskpod task" in m for m in messages))

    def test_failures_carry_taskpods_reason(self):
        from airflow.utils.state import TaskInstanceState

        executor = make_executor()
        oom = workload("oom", pod_override=annotations(oom="true"))
        code3 = workload("code3", pod_override=annotations(exit_code="3"))
        submit(executor, oom, code3)
        state, info = wait_event(executor, oom.ti.key)
        self.assertEqual(state, TaskInstanceState.FAILED)
        self.assertIn("OOMKilled", info)
        state, info = wait_event(executor, code3.ti.key)
        self.assertEqual(state, TaskInstanceState.FAILED)
        self.assertIn("Error, exit code 3", info)

    def test_a_refused_task_fails_at_once_with_the_field(self):
        from airflow.utils.state import TaskInstanceState

        executor = make_executor()
        bad = workload("bad", pod_override={"spec": {"containers": [{"name": "base", "resources": {"limits": {"memory": "lots"}}}]}})
        good = workload("good")
        submit(executor, bad, good)
        state, info = executor.event_buffer[bad.ti.key]
        self.assertEqual(state, TaskInstanceState.FAILED)
        self.assertIn("pod_override.spec.containers[0].resources.limits.memory", info)
        self.assertNotIn(bad.ti.key, executor.running)
        self.assertIn(good.ti.key, executor.running)  # the rest of the batch went on
        self.assertEqual([log.event for log in executor._task_event_logs], ["taskpod refused"])

    def test_a_pod_template_file_is_read_here_and_sent(self):
        from airflow.utils.state import TaskInstanceState

        template = STACK.folder / "template.yaml"
        template.write_text(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  labels: {team: data}\n"
            "  annotations: {kubesim.taskpod.io/log: from the task's own template}\n"
            "spec:\n  containers:\n  - name: base\n    image: example.org/etl:7\n")
        executor = make_executor()
        w = workload("templated", executor_config={"pod_template_file": str(template)})
        submit(executor, w)
        state, _ = wait_event(executor, w.ti.key)
        self.assertEqual(state, TaskInstanceState.SUCCESS)
        (task,) = STACK.taskpod_tasks(external_id=w.ti.external_executor_id)
        self.assertEqual(task["pod_template"]["spec"]["containers"][0]["image"], "example.org/etl:7")
        self.assertIn("from the task's own template", "".join(executor.get_task_log(FakeTI(w), 1)[1]))
        missing = workload("no-template", executor_config={"pod_template_file": str(STACK.folder / "nope.yaml")})
        submit(executor, missing)
        state, info = executor.event_buffer[missing.ti.key]
        self.assertEqual(state, TaskInstanceState.FAILED)
        self.assertIn("nope.yaml: No such file or directory", info)

    def test_a_bad_executor_config_fails_only_that_task(self):
        from airflow.utils.state import TaskInstanceState

        executor = make_executor()
        w = workload("cfg", pod_override=42)
        submit(executor, w)
        state, info = executor.event_buffer[w.ti.key]
        self.assertEqual(state, TaskInstanceState.FAILED)
        self.assertIn("pod_override must be a kubernetes.client.V1Pod or a dict", info)

    def test_an_unreachable_api_leaves_tasks_queued(self):
        from harness import free_port

        executor = make_executor(api_url=f"http://127.0.0.1:{free_port()}", timeout=2.0)
        w = workload("later")
        submit(executor, w)
        self.assertIn(w.ti.key, executor.queued_tasks)
        self.assertNotIn(w.ti.key, executor.running)
        self.assertEqual(executor.event_buffer, {})
        # Once taskpod is reachable, the next heartbeat submits it.
        executor._settings = make_executor()._settings
        executor._client = None
        executor.heartbeat()
        self.assertIn(w.ti.key, executor.running)
        self.assertEqual(len(STACK.taskpod_tasks(external_id=w.ti.external_executor_id)), 1)

    def test_a_resubmission_is_the_same_task(self):
        w = workload("twice")
        first, second = make_executor(), make_executor()
        submit(first, w)
        submit(second, w)
        self.assertEqual(first._ids[w.ti.key], second._ids[w.ti.key])
        self.assertEqual(len(STACK.taskpod_tasks(external_id=w.ti.external_executor_id)), 1)

    def test_a_restarted_scheduler_adopts_live_tasks(self):
        from airflow.utils.state import TaskInstanceState

        w = workload("long", pod_override=annotations(run_seconds="3"))
        submit(make_executor(), w)  # that scheduler dies here
        unknown = workload("never-submitted")
        executor = make_executor()
        not_adopted = executor.try_adopt_task_instances([FakeTI(w), FakeTI(unknown)])
        self.assertEqual([ti.key for ti in not_adopted], [unknown.ti.key])
        self.assertIn(w.ti.key, executor.running)
        # Offered again (Airflow can, before the adoption is committed): still ours, no second lookup.
        with mock.patch.object(executor.client, "tasks", side_effect=AssertionError("looked up again")):
            self.assertEqual(executor.try_adopt_task_instances([FakeTI(w)]), [])
        state, _ = wait_event(executor, w.ti.key)
        self.assertEqual(state, TaskInstanceState.SUCCESS)
        self.assertEqual(len(STACK.taskpod_tasks(external_id=w.ti.external_executor_id)), 1)

    def test_revoke_cancels_without_an_event(self):
        executor = make_executor()
        w = workload("revoked", pod_override=annotations(run_seconds="60"))
        submit(executor, w)
        executor.revoke_task(ti=FakeTI(w))
        self.assertNotIn(w.ti.key, executor.running)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            (task,) = STACK.taskpod_tasks(external_id=w.ti.external_executor_id)
            if task["state"] == "cancelled":
                break
            time.sleep(0.3)
        self.assertTrue(task["cancel_requested"])
        self.assertEqual(task["state"], "cancelled")
        executor.sync()
        self.assertEqual(executor.event_buffer, {})

    def test_metrics_come_from_taskpods_states(self):
        executor = make_executor()
        w = workload("metered", pod_override=annotations(run_seconds="5", start_seconds="1"))
        submit(executor, w)
        gauges = {}
        with mock.patch("airflow.executors.base_executor.stats.gauge",
                        side_effect=lambda name, value, tags=None: gauges.__setitem__(name, value)):
            executor.heartbeat()
            self.assertEqual((gauges["executor.queued_tasks"], gauges["executor.running_tasks"]), (1, 0))
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and gauges["executor.running_tasks"] != 1:
                time.sleep(0.3)
                executor.heartbeat()
        self.assertEqual((gauges["executor.queued_tasks"], gauges["executor.running_tasks"]), (0, 1))
        self.assertEqual(gauges["executor.open_slots"], executor.parallelism - 1)

    def test_the_token_from_a_secrets_backend(self):
        import json

        from taskpod_airflow.settings import TaskPodSettings

        token = STACK.token_file.read_text().strip()
        with mock.patch.dict(os.environ, {
            "AIRFLOW__SECRETS__BACKEND": "secrets_for_tests.DictSecrets",
            "AIRFLOW__SECRETS__BACKEND_KWARGS": json.dumps({"configs": {"taskpod_api_token": token}}),
        }):
            executor = make_executor()
            executor._settings = TaskPodSettings(api_url=STACK.taskpod_url, token_secret="taskpod_api_token")
            w = workload("from-secrets")
            submit(executor, w)
            self.assertIn(w.ti.key, executor._ids)
            executor._settings = TaskPodSettings(api_url=STACK.taskpod_url, token_secret="no_such_key")
            executor._client = None
            w2 = workload("no-secret")
            submit(executor, w2)
            self.assertIn(w2.ti.key, executor.queued_tasks)  # not lost: it waits for a usable token

    def test_a_wrong_token_is_named_but_not_shown(self):
        from taskpod_airflow.client import TaskPodAPIError, TaskPodClient

        secret = "not-the-token-" + uuid.uuid4().hex
        client = TaskPodClient(STACK.taskpod_url, lambda: secret)
        with self.assertRaises(TaskPodAPIError) as raised:
            list(client.tasks())
        self.assertEqual(raised.exception.status, 401)
        self.assertIn("authorization", str(raised.exception))
        self.assertNotIn(secret, str(raised.exception))


class SettingsTests(unittest.TestCase):
    def settings(self, **values):
        from taskpod_airflow.settings import TaskPodSettings

        class Conf:
            def get(self, section, option, fallback=None):
                self.asked = section
                return values.get(option, fallback)

        return TaskPodSettings.from_conf(Conf())

    def test_api_url_is_required(self):
        from taskpod_airflow.settings import TaskPodConfigError

        with self.assertRaises(TaskPodConfigError) as raised:
            self.settings()
        self.assertIn("[taskpod] api_url", str(raised.exception))
        self.assertIn("AIRFLOW__TASKPOD__API_URL", str(raised.exception))

    def test_bad_values_name_the_option(self):
        from taskpod_airflow.settings import TaskPodConfigError

        for values, name in [
            ({"api_url": "taskpod:8080"}, "api_url"),
            ({"api_url": "http://t", "batch_size": "5000"}, "batch_size"),
            ({"api_url": "http://t", "timeout": "soon"}, "timeout"),
            ({"api_url": "http://t", "verify_ssl": "maybe"}, "verify_ssl"),
            ({"api_url": "http://t", "token": "a", "token_file": "/x"}, "token_file"),
        ]:
            with self.subTest(values=values), self.assertRaises(TaskPodConfigError) as raised:
                self.settings(**values)
            self.assertIn(f"[taskpod] {name}", str(raised.exception))

    def test_defaults(self):
        s = self.settings(api_url="https://taskpod:8443", token_file="/var/run/taskpod/token", namespace="airflow")
        self.assertEqual((s.timeout, s.batch_size, s.verify_ssl, s.namespace), (10.0, 500, True, "airflow"))


if __name__ == "__main__":
    unittest.main()
