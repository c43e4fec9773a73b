"""Airflow's default logging, with finished tasks' logs read from taskpod.

    [logging]
    logging_config_class = taskpod_airflow.logging_config.LOGGING_CONFIG
"""

from __future__ import annotations

from copy import deepcopy

from airflow.config_templates.airflow_local_settings import DEFAULT_LOGGING_CONFIG

from taskpod_airflow.logs import TaskPodLogIO

LOGGING_CONFIG = deepcopy(DEFAULT_LOGGING_CONFIG)
REMOTE_TASK_LOG = TaskPodLogIO()
