"""DAGs the end-to-end run (integrations/airflow/e2e/run.py) triggers: each task runs in its own Pod through
taskpod; KubeSim (exec mode) runs the Pod's command as a local process."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta

from airflow.sdk import dag, task
from kubernetes.client import models as k8s

START = datetime(2026, 1, 1)
MARKER = "TASKPOD-E2E-MARKER"


def _resources(requests: dict[str, str], limits: dict[str, str]) -> k8s.V1Pod:
    return k8s.V1Pod(
        spec=k8s.V1PodSpec(
            containers=[
                k8s.V1Container(
                    name="base", resources=k8s.V1ResourceRequirements(requests=requests, limits=limits)
                )
            ]
        )
    )


@dag(dag_id="tp_plain", schedule=None, start_date=START, catchup=False)
def tp_plain():
    @task
    def say():
        print(f"{MARKER} plain task ran in process {os.getpid()}")
        return 42

    say()


tp_plain()


@dag(dag_id="tp_fails", schedule=None, start_date=START, catchup=False)
def tp_fails():
    @task(retries=1, retry_delay=timedelta(seconds=1))
    def boom():
        print(f"{MARKER} about to fail")
        raise ValueError("the task failed on purpose")

    boom()


tp_fails()


@dag(dag_id="tp_mapped", schedule=None, start_date=START, catchup=False)
def tp_mapped():
    @task
    def square(x: int) -> int:
        print(f"{MARKER} mapped {x}")
        return x * x

    square.expand(x=[1, 2, 3])


tp_mapped()


@dag(dag_id="tp_override", schedule=None, start_date=START, catchup=False)
def tp_override():
    @task(executor_config={"pod_override": _resources({"cpu": "1500m", "memory": "1536Mi"}, {"memory": "2Gi"})})
    def big():
        print(f"{MARKER} big task")

    big()


tp_override()


@dag(dag_id="tp_invalid", schedule=None, start_date=START, catchup=False)
def tp_invalid():
    @task(executor_config={"pod_override": _resources({"cpu": "1"}, {"memory": "lots"})})
    def bad():
        print("this never runs: taskpod refuses the Pod")

    bad()


tp_invalid()


@dag(dag_id="tp_sleepy", schedule=None, start_date=START, catchup=False)
def tp_sleepy():
    @task
    def nap(n: int):
        seconds = float(os.environ.get("TASKPOD_E2E_NAP", "30"))
        print(f"{MARKER} napping {seconds} s ({n})")
        time.sleep(seconds)
        print(f"{MARKER} woke up ({n})")

    nap.expand(n=[1, 2, 3])


tp_sleepy()
