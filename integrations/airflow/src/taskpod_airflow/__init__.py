"""taskpod for Airflow 3: `TaskPodExecutor` runs each task instance as a Pod through taskpod's HTTP API.

    [core]
    executor = taskpod_airflow.TaskPodExecutor

Importing this package costs nothing beyond the standard library: the executor (which needs Airflow) is loaded
when first asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["TaskPodExecutor"]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from taskpod_airflow.executor import TaskPodExecutor


def __getattr__(name: str) -> Any:
    if name == "TaskPodExecutor":
        from taskpod_airflow.executor import TaskPodExecutor

        return TaskPodExecutor
    raise AttributeError(f"module 'taskpod_airflow' has no attribute {name!r}")
