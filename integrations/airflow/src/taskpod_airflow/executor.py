"""`TaskPodExecutor`: Airflow 3's executor interface over taskpod's HTTP API.

Each `ExecuteTask` workload becomes one taskpod task (one Pod), submitted in batches; `sync` turns taskpod's final
states into Airflow events with one `updated_since` request per heartbeat; a restarted scheduler adopts the tasks
its predecessor submitted by their `external_executor_id`. See integrations/airflow/README.md.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.executors.base_executor import BaseExecutor, get_execution_api_server_url

from taskpod_airflow.client import (
    FINAL_STATES,
    TaskPodAPIError,
    TaskPodClient,
    TaskPodError,
    TaskPodUnavailable,
    describe_problems,
)
from taskpod_airflow.settings import TaskPodSettings
from taskpod_airflow.submission import find_task, submission_for

if TYPE_CHECKING:
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.taskinstancekey import TaskInstanceKey

#: Pages of changes read per heartbeat at most (1,000 tasks each); the rest waits for the next one.
MAX_CHANGE_PAGES = 20
#: A warning about an unreachable taskpod is repeated at most this often (seconds).
WARN_EVERY = 60.0


class TaskPodExecutor(BaseExecutor):
    """Runs each task instance as a Kubernetes Pod through taskpod (`[core] executor =
    taskpod_airflow.TaskPodExecutor`)."""

    # The scheduler writes a UUID as external_executor_id with QUEUED: taskpod's idempotency key for the task.
    pre_assigns_external_executor_id = True
    supports_ad_hoc_ti_run = True
    is_local = False
    is_production = True
    serve_logs = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._settings: TaskPodSettings | None = None
        self._client: TaskPodClient | None = None
        # taskpod task id <-> Airflow key of the tasks this executor waits for, and their last taskpod state.
        self._keys: dict[int, TaskInstanceKey] = {}
        self._ids: dict[TaskInstanceKey, int] = {}
        self._states: dict[int, str] = {}
        # Adopted task instances whose taskpod task could not be looked up yet (taskpod unreachable).
        self._unresolved: dict[str, TaskInstanceKey] = {}
        self._cursor: str | None = None
        self._warned_at = 0.0

    # -- configuration -----------------------------------------------------------------------------------------

    @property
    def settings(self) -> TaskPodSettings:
        if self._settings is None:
            self._settings = TaskPodSettings.from_airflow()
        return self._settings

    @property
    def client(self) -> TaskPodClient:
        if self._client is None:
            self._client = self.settings.client()
        return self._client

    def start(self) -> None:
        # Read the settings now: a missing api_url stops the scheduler at start with the option's name.
        self.log.info("TaskPodExecutor submits tasks to taskpod at %s", self.settings.api_url)

    def _execution_api_url(self) -> str:
        return self.settings.execution_api_server_url or get_execution_api_server_url(self.conf)

    # -- submitting --------------------------------------------------------------------------------------------

    def _process_workloads(self, workloads: Sequence[Any]) -> None:
        from airflow.executors.workloads import ExecuteTask

        pending: list[tuple[TaskInstanceKey, dict[str, Any]]] = []
        for workload in workloads:
            if not isinstance(workload, ExecuteTask):
                raise RuntimeError(f"{type(self).__name__} cannot run workloads of type {type(workload).__name__}")
            key = workload.ti.key
            try:
                task = submission_for(workload, self.settings, self._execution_api_url())
            except Exception as error:  # a bad executor_config: this task fails, the others go on
                self._take(key)
                self._refuse(key, f"taskpod: executor_config of {key.task_id}: {error}")
                continue
            pending.append((key, task))

        size = self.settings.batch_size
        for start in range(0, len(pending), size):
            chunk = pending[start : start + size]
            try:
                results = self.client.submit_batch([task for _, task in chunk])
            except TaskPodUnavailable as error:
                # Left in queued_tasks: the next heartbeat submits them again (the external id makes it safe).
                self._warn(f"{error}; {len(pending) - start} task(s) stay queued for the next heartbeat")
                return
            except TaskPodError as error:
                self.log.error("cannot submit %d task(s) to taskpod, they stay queued: %s", len(pending) - start, error)
                return
            for (key, _), result in zip(chunk, results):
                self._take(key)
                self._submitted(key, result)

    def _take(self, key: TaskInstanceKey) -> None:
        self.queued_tasks.pop(key, None)
        self.running.add(key)

    def _submitted(self, key: TaskInstanceKey, result: dict[str, Any]) -> None:
        status = result.get("status")
        task = result.get("task")
        if status in (200, 201) and isinstance(task, dict):
            self._track(key, task)
            self.log.info("%s is taskpod task %s", key, task.get("id"))
        elif status == 409 and isinstance(task, dict):
            self._refuse(
                key,
                f"taskpod already holds task {task.get('id')} ({task.get('state')}) for this try with another "
                f"external_executor_id: {describe_problems(result.get('errors', []))}",
            )
        else:
            self._refuse(key, "taskpod refused the task: " + describe_problems(result.get("errors", [])))

    def _refuse(self, key: TaskInstanceKey, reason: str) -> None:
        self.log.error("%s: %s", key, reason)
        self.log_task_event(event="taskpod refused", extra=reason, ti_key=key)
        self.fail(key, info=reason)

    def _track(self, key: TaskInstanceKey, task: dict[str, Any]) -> None:
        task_id = int(task["id"])
        self._keys[task_id] = key
        self._ids[key] = task_id
        self._states[task_id] = task.get("state", "queued")
        if self._cursor is None:
            # Poll from just before this task's last change: every later change of any task comes after it.
            seq = int(str(task.get("change_cursor", "1")).split(".")[0])
            self._cursor = str(max(seq - 1, 0))
        if task.get("state") in FINAL_STATES:
            self._observe(task)

    def _untrack(self, task_id: int) -> TaskInstanceKey | None:
        key = self._keys.pop(task_id, None)
        self._states.pop(task_id, None)
        if key is not None:
            self._ids.pop(key, None)
        return key

    # -- state -------------------------------------------------------------------------------------------------

    def sync(self) -> None:
        if self._unresolved:
            self._resolve_adoptions()
        if not self._keys:
            # Nothing to wait for: forget the cursor, so that an idle executor does not page through other
            # clients' changes when it next submits (the next task tracked sets it again).
            self._cursor = None
            return
        try:
            for _ in range(MAX_CHANGE_PAGES):
                tasks, cursor = self.client.changes(self._cursor, limit=1000)
                for task in tasks:
                    self._observe(task)
                self._cursor = cursor
                if len(tasks) < 1000:
                    break
        except TaskPodError as error:
            self._warn(f"cannot read changes from taskpod, retrying next heartbeat: {error}")

    def _observe(self, task: dict[str, Any]) -> None:
        task_id = int(task["id"])
        key = self._keys.get(task_id)
        if key is None:
            return
        state = task.get("state")
        self._states[task_id] = state
        if state not in FINAL_STATES:
            return
        self._untrack(task_id)
        info = self._info(task)
        if state == "success":
            self.success(key, info)
        else:
            self.fail(key, info)

    @staticmethod
    def _info(task: dict[str, Any]) -> str:
        where = f"taskpod task {task.get('id')}"
        if task.get("pod_name"):
            where += f", Pod {task.get('namespace') or ''}/{task['pod_name']}".replace(" /", " ")
        reason = task.get("reason")
        return f"{task.get('state')}: {reason} ({where})" if reason else f"{task.get('state')} ({where})"

    def _emit_metrics(self, open_slots, num_running_tasks, num_queued_tasks):
        # What taskpod says: a task it holds but has not started (queued, launched) counts as queued.
        counts = Counter(self._states.values())
        waiting = counts["queued"] + counts["launched"]
        super()._emit_metrics(open_slots, max(num_running_tasks - waiting, 0), num_queued_tasks + waiting)

    def _warn(self, message: str) -> None:
        now = time.monotonic()
        if now - self._warned_at >= WARN_EVERY:
            self._warned_at = now
            self.log.warning("%s", message)
        else:
            self.log.debug("%s", message)

    # -- adoption, revoking, logs ------------------------------------------------------------------------------

    def try_adopt_task_instances(self, tis: Sequence[TaskInstance]) -> Sequence[TaskInstance]:
        not_adopted = []
        for ti in tis:
            if ti.key in self._ids or ti.key in self._unresolved.values():
                # Already ours: Airflow may offer a task instance again before its adoption is committed.
                self.running.add(ti.key)
                continue
            external_id = ti.external_executor_id
            if not external_id:
                not_adopted.append(ti)
                continue
            try:
                task = find_task(self.client, ti.dag_id, ti.task_id, ti.run_id, ti.map_index, ti.try_number, external_id)
            except TaskPodUnavailable as error:
                # Not known either way: keep it (a reset would launch the try again beside a Pod that may run).
                self._warn(f"cannot look up adopted tasks in taskpod now, will retry: {error}")
                self._unresolved[external_id] = ti.key
                self.running.add(ti.key)
                continue
            except TaskPodError as error:
                self.log.error("cannot look up %s in taskpod: %s", ti.key, error)
                not_adopted.append(ti)
                continue
            if task is None:
                not_adopted.append(ti)  # it never reached taskpod: the scheduler queues it again
                continue
            self.running.add(ti.key)
            self._track(ti.key, task)
            self.log.info("adopted %s: taskpod task %s (%s)", ti.key, task["id"], task.get("state"))
        return not_adopted

    def _resolve_adoptions(self) -> None:
        for external_id, key in list(self._unresolved.items()):
            try:
                task = find_task(self.client, key.dag_id, key.task_id, key.run_id, key.map_index, key.try_number, external_id)
            except TaskPodUnavailable:
                return
            except TaskPodError as error:
                task = None
                self.log.error("cannot look up %s in taskpod: %s", key, error)
            del self._unresolved[external_id]
            if task is None:
                self.fail(key, info="taskpod holds no task for this try (adopted after a scheduler restart)")
            else:
                self._track(key, task)

    def revoke_task(self, *, ti: TaskInstance) -> None:
        key = ti.key
        self.queued_tasks.pop(key, None)
        self.running.discard(key)
        self.event_buffer.pop(key, None)
        task_id = self._ids.get(key)
        try:
            if task_id is None:
                task = find_task(self.client, ti.dag_id, ti.task_id, ti.run_id, ti.map_index, ti.try_number, ti.external_executor_id)
                task_id = int(task["id"]) if task else None
            if task_id is not None:
                self.client.cancel(task_id)
                self.log.info("revoked %s: cancelled taskpod task %s", key, task_id)
        except TaskPodError as error:
            self.log.warning("could not cancel %s in taskpod: %s", key, error)
        if task_id is not None:
            self._untrack(task_id)

    def get_task_log(self, ti: TaskInstance, try_number: int) -> tuple[list[str], list[str]]:
        from taskpod_airflow.logs import read_task_log

        messages, text = read_task_log(self.client, ti, try_number, running=True)
        return messages, [text] if text else []

    def end(self) -> None:
        # Pods keep running: a restarted scheduler adopts them. Report what has ended so far.
        self.sync()

    def terminate(self) -> None:
        """Nothing runs in this process: the Pods belong to taskpod."""
