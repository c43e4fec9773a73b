"""The executor benchmark's DAG: one mapped task with TASKPOD_BENCH_TASKS map indexes, each run by fast_worker.py
(the command given by pod_override; the executor's args follow it)."""

import os
import sys
from datetime import datetime

from airflow.sdk import dag, task
from kubernetes.client import models as k8s

TASKS = int(os.environ.get("TASKPOD_BENCH_TASKS", "1000"))
WORKER = os.environ.get("TASKPOD_BENCH_WORKER", "fast_worker.py")
OVERRIDE = k8s.V1Pod(spec=k8s.V1PodSpec(containers=[k8s.V1Container(name="base", command=[sys.executable, WORKER])]))


@dag(dag_id="tp_bench", schedule=None, start_date=datetime(2026, 1, 1), catchup=False, max_active_tasks=TASKS)
def tp_bench():
    @task(executor_config={"pod_override": OVERRIDE})
    def item(n: int):
        return n

    item.expand(n=list(range(TASKS)))


tp_bench()
