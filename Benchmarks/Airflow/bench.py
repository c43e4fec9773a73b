"""Airflow 3.3.2's scheduler queuing one DAG run of N tasks, through TaskPodExecutor → taskpod → KubeSim, and
through the cncf-kubernetes provider's KubernetesExecutor → the same KubeSim, on the same machine.

Each Pod runs fast_worker.py (the Execution API calls a worker makes, without Airflow's import cost), so the
figure is the executors' and the scheduler's: task instances queued → running per second, from the metadata DB's
queued_dttm and start_date. Run with the Airflow venv's Python (`make bench-airflow`):

    .venv-airflow/bin/python Benchmarks/Airflow/bench.py --taskpod .build-release/release/taskpod \
        --kubesim .build-release/release/kubesim --tasks 1000 --executors taskpod,kubernetes
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "integrations" / "airflow" / "e2e"))
from harness import Stack, http_json, wait_for  # noqa: E402


def postgres_database(name: str) -> str:
    """A fresh database on the throwaway PostgreSQL server (scripts/postgres-test-server.sh), as a SQLAlchemy URL."""
    import os
    import subprocess
    import urllib.parse

    import psycopg2

    line = subprocess.run([str(HERE.parents[1] / "scripts" / "postgres-test-server.sh"), "start"], check=True,
                          capture_output=True, text=True).stdout.strip()
    url = urllib.parse.urlsplit(line.split("=", 1)[1].strip().strip("'\""))
    admin = psycopg2.connect(host=url.hostname, port=url.port, user=url.username, password=url.password,
                             dbname=url.path.lstrip("/"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'drop database if exists "{name}"')
        cursor.execute(f'create database "{name}"')
    admin.close()
    os.environ.setdefault("PGCONNECT_TIMEOUT", "10")
    return f"postgresql+psycopg2://{url.username}:{url.password}@{url.hostname}:{url.port}/{name}"


def configure(stack: Stack, executor: str, tasks: int, batch: int):
    env = stack.env
    env.update({
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": postgres_database(f"airflow_bench_{executor}"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS": "",
        # A thousand workers call the Execution API at once: more than the default 5 + 10 connections.
        "AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE": "20",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_MAX_OVERFLOW": "20",
        "AIRFLOW__CORE__DAGS_FOLDER": str(HERE / "dags"),
        "AIRFLOW__CORE__PARALLELISM": str(tasks),
        "AIRFLOW__CORE__MAX_MAP_LENGTH": str(max(tasks, 1024)),
        "AIRFLOW__SCHEDULER__MAX_TIS_PER_QUERY": "512",
        "TASKPOD_BENCH_TASKS": str(tasks),
        "TASKPOD_BENCH_WORKER": str(HERE / "fast_worker.py"),
    })
    if executor == "kubernetes":
        env.update({
            "AIRFLOW__CORE__EXECUTOR": "KubernetesExecutor",
            "AIRFLOW__LOGGING__LOGGING_CONFIG_CLASS": "",
            "AIRFLOW__KUBERNETES_EXECUTOR__IN_CLUSTER": "False",
            "AIRFLOW__KUBERNETES_EXECUTOR__CONFIG_FILE": str(stack.kubeconfig),
            "AIRFLOW__KUBERNETES_EXECUTOR__NAMESPACE": "default",
            "AIRFLOW__KUBERNETES_EXECUTOR__WORKER_CONTAINER_REPOSITORY": "apache/airflow",
            "AIRFLOW__KUBERNETES_EXECUTOR__WORKER_CONTAINER_TAG": "3.3.2",
            "AIRFLOW__KUBERNETES_EXECUTOR__WORKER_PODS_CREATION_BATCH_SIZE": str(batch),
            "AIRFLOW__KUBERNETES_EXECUTOR__DELETE_WORKER_PODS": "True",
        })


def taskpod_stages(stack: Stack, rows) -> dict:
    """Median seconds of each step from Airflow's queued_dttm to the TI's start_date: the executor's submission
    (taskpod's queued_at), the Pod create (launched_at), the container running (running_at), the worker's call."""
    from datetime import datetime

    def seconds(text):
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() if text else None

    tasks = {t["external_id"]: t for t in stack.taskpod_tasks(dag_id="tp_bench")}
    steps = {"submitted": [], "pod_created": [], "container_running": [], "worker_started": []}
    for queued, start, _, _, external_id in rows:
        task = tasks.get(external_id)
        if not (task and queued and start):
            continue
        times = [queued, seconds(task["queued_at"]), seconds(task["launched_at"]), seconds(task["running_at"]), start]
        if None in times:
            continue
        for name, (a, b) in zip(steps, zip(times, times[1:])):
            steps[name].append(b - a)
    return {name: round(statistics.median(values), 2) for name, values in steps.items() if values}


def run_once(executor: str, options) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"taskpod-bench-airflow-{executor}-"))
    controller_args = ["--parallelism", str(options.parallelism), "--qps", str(options.qps),
                       "--burst", str(options.qps * 2)]
    stack = Stack(folder, options.taskpod, options.kubesim, controller_args=controller_args)
    configure(stack, executor, options.tasks, options.batch)
    try:
        if executor == "taskpod":
            stack.start_taskpod()
        else:
            stack.start_kubesim()
        stack.start_airflow()
        live = list(stack.processes.values())
        wait_for("tp_bench parsed", lambda: http_json("GET", stack.airflow_url + "/api/v2/dags/tp_bench"), 300,
                 interval=1, processes=live)
        http_json("POST", f"{stack.airflow_url}/api/v2/dags/tp_bench/dagRuns", {"dag_run_id": "bench", "logical_date": None})
        started = time.monotonic()

        def finished():
            state = http_json("GET", f"{stack.airflow_url}/api/v2/dags/tp_bench/dagRuns/bench")["state"]
            return state in ("success", "failed") and state

        state = wait_for("the benchmark run ended", finished, options.timeout, interval=1, processes=live)
        wall = time.monotonic() - started
        import psycopg2
        from sqlalchemy.engine import make_url

        url = make_url(stack.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
        with psycopg2.connect(host=url.host, port=url.port, user=url.username, password=url.password,
                              dbname=url.database) as db, db.cursor() as cursor:
            cursor.execute("select queued_dttm, start_date, end_date, state, external_executor_id from task_instance "
                           "where dag_id = 'tp_bench'")
            rows = [(r[0] and r[0].timestamp(), r[1] and r[1].timestamp(), r[2], r[3], r[4]) for r in cursor.fetchall()]
        queued = [r[0] for r in rows if r[0]]
        starts = [r[1] for r in rows if r[1]]
        latencies = sorted(r[1] - r[0] for r in rows if r[0] and r[1])
        span = max(starts) - min(queued)
        result = {
            "executor": executor, "tasks": len(rows), "run_state": state,
            "succeeded": sum(1 for r in rows if r[3] == "success"),
            "queued_to_running_per_s": round(len(starts) / span, 1),
            "span_s": round(span, 1), "wall_s": round(wall, 1),
            "latency_p50_s": round(statistics.median(latencies), 2),
            "latency_p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 2),
        }
        creates = sorted(datetime.fromisoformat(e["time"].replace("Z", "+00:00")).timestamp() for e in stack.audit()
                         if e.get("verb") == "create" and e.get("code") == 201 and e.get("pod"))
        if len(creates) > 1:
            # The executors' own part: Pods created per second, first to last (KubeSim's audit log).
            result["pods_created_per_s"] = round((len(creates) - 1) / (creates[-1] - creates[0]), 1)
        if executor == "taskpod":
            result["stages_p50_s"] = taskpod_stages(stack, rows)
        return result
    finally:
        stack.stop()
        if options.keep:
            print(f"kept {folder}", flush=True)
        else:
            shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--taskpod", required=True)
    parser.add_argument("--kubesim", required=True)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--executors", default="taskpod,kubernetes")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--parallelism", type=int, default=1000,
                        help="taskpod controller --parallelism (as Airflow's [core] parallelism: the task count)")
    parser.add_argument("--qps", type=int, default=500, help="taskpod controller --qps (burst twice that)")
    parser.add_argument("--batch", type=int, default=64,
                        help="[kubernetes_executor] worker_pods_creation_batch_size (default 1 in Airflow)")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--keep", action="store_true", help="keep each run's folder (logs, KubeSim audit)")
    options = parser.parse_args()
    results = []
    for round_number in range(options.rounds):
        for executor in options.executors.split(","):
            result = run_once(executor, options)
            result["round"] = round_number + 1
            print(json.dumps(result), flush=True)
            results.append(result)
    print("\nexecutor     tasks  queued→running/s  p50 s  p95 s  wall s  Pods created/s")
    for executor in options.executors.split(","):
        mine = [r for r in results if r["executor"] == executor]
        rates = [r["queued_to_running_per_s"] for r in mine]
        print(f"{executor:<12} {mine[0]['tasks']:>5}  {statistics.median(rates):>16.1f}"
              f"  {statistics.median(r['latency_p50_s'] for r in mine):>5.2f}"
              f"  {statistics.median(r['latency_p95_s'] for r in mine):>5.2f}"
              f"  {statistics.median(r['wall_s'] for r in mine):>6.1f}"
              f"  {statistics.median(r.get('pods_created_per_s', 0) for r in mine):>14.1f}"
              + (f"  (min {min(rates)}, max {max(rates)})" if len(rates) > 1 else ""))
    if options.json:
        Path(options.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0 if all(r["succeeded"] == r["tasks"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
