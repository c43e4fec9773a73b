"""A stand-in for Airflow's worker in the executor benchmark: what `execute_workload` does with the Execution API,
without importing Airflow (whose start costs seconds of CPU per task, which would measure Python, not executors).

The Pod runs `python fast_worker.py python -m airflow.sdk.execution_time.execute_workload --json-string <workload>`
(the executor's args after a pod_override's command): it marks the task instance running with the workload's
token, exchanges it for an execution token (`Refreshed-API-Token`), and marks it successful.
"""

import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone


def call(url: str, token: str, body: dict):
    """PATCH with retries on 5xx and connection errors, as the Task SDK's client retries."""
    for attempt in range(6):
        request = urllib.request.Request(url, method="PATCH", data=json.dumps(body).encode(), headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.headers.get("Refreshed-API-Token") or token
        except urllib.error.HTTPError as error:
            if error.code < 500 or attempt == 5:
                raise
        except OSError:
            if attempt == 5:
                raise
        time.sleep(0.5 * 2 ** attempt)


def main() -> int:
    workload = json.loads(sys.argv[sys.argv.index("--json-string") + 1])
    server = os.environ["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].rstrip("/")
    ti_url = f"{server}/task-instances/{workload['ti']['id']}"
    now = lambda: datetime.now(timezone.utc).isoformat()  # noqa: E731
    token = call(f"{ti_url}/run", workload["token"], {
        "state": "running", "hostname": socket.gethostname(), "unixname": "bench", "pid": os.getpid(),
        "start_date": now()})
    call(f"{ti_url}/state", token, {"state": "success", "end_date": now()})
    print(f"fast worker: {workload['ti']['task_id']}[{workload['ti']['map_index']}] done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
