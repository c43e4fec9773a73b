"""Task logs kept by taskpod, for Airflow's UI: while a task runs (`get_task_log`) and after its Pod is gone (a
remote log reader: `[logging] logging_config_class = taskpod_airflow.logging_config.LOGGING_CONFIG`)."""

from __future__ import annotations

from typing import Any

from taskpod_airflow.client import TaskPodClient, TaskPodError
from taskpod_airflow.submission import find_task, try_number_from_path


def read_task_log(client: TaskPodClient, ti: Any, try_number: int, *, running: bool = False) -> tuple[list[str], str]:
    """Messages about where the log came from, and the log (the Pod's output and the controller's lines)."""
    external_id = ti.external_executor_id if try_number == getattr(ti, "try_number", None) else None
    try:
        task = find_task(client, ti.dag_id, ti.task_id, ti.run_id, ti.map_index, try_number, external_id)
        if task is None:
            return [f"taskpod holds no task for try {try_number} of this task instance"], ""
        text = client.log(int(task["id"]))
    except TaskPodError as error:
        return [f"Reading the log from taskpod failed: {error}"], ""
    where = f"taskpod task {task['id']}"
    if task.get("pod_name"):
        where += f" (Pod {task.get('namespace')}/{task['pod_name']})"
    what = "Pod output so far, from" if running else "Log kept by"
    return [f"{what} {where} at {client.base_url}"], text


_LIVE_STATES = {"running", "deferred"}


def _state_name(ti: Any) -> str:
    """The TI's state as its plain value (`running`), whether it is Airflow's state enum or a string."""
    state = getattr(ti, "state", None)
    return str(getattr(state, "value", state) or "")


class TaskPodLogIO:
    """Airflow's `RemoteLogIO` for taskpod: reads a finished task's log from taskpod, which captured the Pod's
    output itself; nothing is uploaded."""

    processors: tuple = ()

    def __init__(self, client: TaskPodClient | None = None):
        self._client = client

    @property
    def client(self) -> TaskPodClient:
        if self._client is None:  # read the settings on first use: the worker Pods load this module too
            from taskpod_airflow.settings import TaskPodSettings

            self._client = TaskPodSettings.from_airflow().client()
        return self._client

    def upload(self, path: Any, ti: Any = None) -> None:
        """taskpod keeps the Pod's output already (the worker prints the task's log to stdout)."""

    def read(self, relative_path: str, ti: Any) -> tuple[list[str], list[str] | None]:
        try_number = try_number_from_path(relative_path, ti.try_number)
        if try_number == ti.try_number and _state_name(ti) in _LIVE_STATES:
            # A running try's log comes from the executor's get_task_log (the same text, read once).
            return [], None
        try:
            client = self.client
        except Exception as error:  # a missing [taskpod] setting: say so in the log view
            return [f"Reading the log from taskpod failed: {error}"], None
        messages, text = read_task_log(client, ti, try_number)
        return messages, [text] if text else None
