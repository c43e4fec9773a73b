"""From an Airflow workload to a taskpod task, and back from a task instance to its taskpod task."""

from __future__ import annotations

import re
from typing import Any

from taskpod_airflow.client import TaskPodClient

#: What the worker Pod runs, as Airflow's KubernetesExecutor runs it: as args, so the image's entrypoint stays.
WORKER_ARGS = ["python", "-m", "airflow.sdk.execution_time.execute_workload", "--json-string"]


def pod_override_json(pod: Any) -> dict[str, Any]:
    """`executor_config["pod_override"]` as a camelCase partial Pod: a `kubernetes.client.V1Pod` (as for the
    KubernetesExecutor) or a dict already in that form."""
    if isinstance(pod, dict):
        return pod
    if hasattr(pod, "swagger_types") or hasattr(pod, "openapi_types"):
        from kubernetes.client import ApiClient

        return ApiClient().sanitize_for_serialization(pod)
    raise TypeError(
        f"pod_override must be a kubernetes.client.V1Pod or a dict (a partial Pod), not {type(pod).__name__}"
    )


def pod_template_json(path: str) -> dict[str, Any]:
    """`executor_config["pod_template_file"]`: read here, on the scheduler's machine, and sent as the task's own
    base Pod."""
    import yaml

    try:
        with open(path, encoding="utf-8") as file:
            pod = yaml.safe_load(file)
    except OSError as error:
        raise ValueError(f"pod_template_file {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ValueError(f"pod_template_file {path} is not YAML: {error}") from None
    if not isinstance(pod, dict):
        raise ValueError(f"pod_template_file {path} does not hold a Pod (a YAML mapping)")
    return pod


def submission_for(workload: Any, settings: Any, execution_api_url: str) -> dict[str, Any]:
    """The taskpod task for an `ExecuteTask` workload."""
    ti = workload.ti
    task: dict[str, Any] = {
        "dag_id": ti.dag_id,
        "task_id": ti.task_id,
        "run_id": ti.run_id,
        "map_index": ti.map_index if ti.map_index is not None else -1,
        "try_number": ti.try_number,
        "args": [*WORKER_ARGS, workload.model_dump_json()],
        "env": {
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": execution_api_url,
            "AIRFLOW_IS_K8S_EXECUTOR_POD": "True",
        },
        # The workload holds the task's JWT: taskpod never shows args or env values of a sensitive task.
        "sensitive": True,
        "external_id": ti.external_executor_id or str(ti.id),
    }
    if settings.namespace:
        task["namespace"] = settings.namespace
    if settings.image:
        task["image"] = settings.image
    config = ti.executor_config or {}
    if not isinstance(config, dict):
        raise TypeError(f"executor_config must be a dict, not {type(config).__name__}")
    if config.get("pod_override") is not None:
        task["pod_override"] = pod_override_json(config["pod_override"])
    if config.get("pod_template_file"):
        task["pod_template"] = pod_template_json(config["pod_template_file"])
    return task


def find_task(
    client: TaskPodClient,
    dag_id: str,
    task_id: str,
    run_id: str,
    map_index: int | None,
    try_number: int,
    external_id: str | None = None,
) -> dict[str, Any] | None:
    """The taskpod task of one try of a task instance, or None."""
    map_index = -1 if map_index is None else map_index
    filters = {"external_id": external_id} if external_id else {"dag_id": dag_id, "run_id": run_id}
    for task in client.tasks(**filters):
        if (
            task.get("dag_id") == dag_id
            and task.get("task_id") == task_id
            and task.get("run_id") == run_id
            and task.get("map_index") == map_index
            and task.get("try_number") == try_number
        ):
            return task
    if external_id:
        # An older try has another external id: look it up by its key instead.
        return find_task(client, dag_id, task_id, run_id, map_index, try_number)
    return None


_ATTEMPT = re.compile(r"attempt=(\d+)")


def try_number_from_path(relative_path: str, default: int) -> int:
    """The try a rendered log path names (`.../attempt=2.log` with Airflow's default template)."""
    match = _ATTEMPT.search(relative_path or "")
    return int(match.group(1)) if match else default
