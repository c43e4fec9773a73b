"""Processes for the Airflow end-to-end run and the executor's tests: KubeSim, a taskpod controller with its HTTP
API, and Airflow's api-server, dag-processor and scheduler, all on loopback, all stopped at the end."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(what: str, check, timeout: float, interval: float = 0.2, processes=()):
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        for process in processes:
            process.check_alive()
        try:
            value = check()
        except Exception as error:
            value, last_error = None, error
        if value:
            return value
        if time.monotonic() > deadline:
            why = f" (last error: {type(last_error).__name__}: {last_error})" if last_error else ""
            raise TimeoutError(f"{what}: not after {timeout:.0f} s{why}")
        time.sleep(interval)


def http_json(method: str, url: str, body=None, headers=None, timeout: float = 30.0):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Accept": "application/json", **({"Content-Type": "application/json"} if data else {}), **(headers or {})})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


class Process:
    """A child process with its output in a file, in its own process group."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], folder: Path):
        self.name = name
        self.log_path = folder / f"{name}.log"
        self.log = open(self.log_path, "ab")
        self.popen = subprocess.Popen(
            argv, env=env, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)

    def check_alive(self):
        code = self.popen.poll()
        if code is not None:
            raise RuntimeError(f"{self.name} exited with {code}; its output:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def kill(self, sig=signal.SIGKILL):
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self, grace: float = 10.0):
        if self.popen.poll() is None:
            self.kill(signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                self.kill(signal.SIGKILL)
                self.popen.wait()
        else:
            # The group may still hold children (Pods' processes, api-server workers).
            self.kill(signal.SIGKILL)
        self.log.close()


class Stack:
    """KubeSim + taskpod (+ Airflow, when asked for) in a scratch folder."""

    def __init__(self, folder: Path, taskpod: str, kubesim: str, *, kubesim_mode: str = "exec",
                 controller_args: list[str] = ()):
        self.folder = folder
        self.taskpod_binary = taskpod
        self.kubesim_binary = kubesim
        self.kubesim_mode = kubesim_mode
        self.controller_args = list(controller_args)
        self.processes: dict[str, Process] = {}
        folder.mkdir(parents=True, exist_ok=True)
        self.token_file = folder / "api-token"
        self.token_file.write_text(secrets.token_hex(32) + "\n")
        self.token_file.chmod(0o600)
        self.taskpod_port = free_port()
        self.api_port = free_port()
        self.taskpod_url = f"http://127.0.0.1:{self.taskpod_port}"
        self.airflow_url = f"http://127.0.0.1:{self.api_port}"
        self.airflow_home = folder / "airflow"
        self.env = self._airflow_env()

    # -- environment -------------------------------------------------------------------------------------------

    def _airflow_env(self) -> dict[str, str]:
        env = dict(os.environ)
        venv_bin = str(Path(sys.executable).parent)
        env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "")
        env["PYTHONPATH"] = str(HERE) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env.update({
            "AIRFLOW_HOME": str(self.airflow_home),
            "AIRFLOW__CORE__EXECUTOR": "taskpod_airflow.TaskPodExecutor",
            "AIRFLOW__CORE__DAGS_FOLDER": str(HERE / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.airflow_url}/execution/",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.folder}/airflow.db",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS": "sqlite_connect_args.CONNECT_ARGS",
            "AIRFLOW__API__BASE_URL": self.airflow_url,
            "AIRFLOW__API__PORT": str(self.api_port),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
            "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_THRESHOLD": "10",
            "AIRFLOW__SCHEDULER__ORPHANED_TASKS_CHECK_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "120",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__LOGGING__LOGGING_CONFIG_CLASS": "taskpod_airflow.logging_config.LOGGING_CONFIG",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.airflow_home / "logs"),
            "AIRFLOW__TASKPOD__API_URL": self.taskpod_url,
            "AIRFLOW__TASKPOD__TOKEN_FILE": str(self.token_file),
            "AIRFLOW__TASKPOD__NAMESPACE": "default",
            "AIRFLOW__TASKPOD__IMAGE": "apache/airflow:3.3.2",
            "PYTHONUNBUFFERED": "1",
        })
        return env

    def pod_env(self) -> dict[str, str]:
        """What KubeSim passes to each Pod's process: the Airflow environment, with the worker's own log files in
        a folder of its own (a Pod's filesystem goes with the Pod), so the API server cannot read them."""
        env = dict(self.env)
        env["AIRFLOW__LOGGING__BASE_LOG_FOLDER"] = str(self.folder / "pod-filesystem" / "logs")
        return env

    # -- processes ---------------------------------------------------------------------------------------------

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Process:
        process = Process(name, argv, env or self.env, self.folder)
        self.processes[name] = process
        return process

    @property
    def kubeconfig(self) -> Path:
        return self.folder / "kubeconfig"

    def start_kubesim(self) -> Process:
        sim = self.start("kubesim", [
            self.kubesim_binary, "--mode", self.kubesim_mode, "--port", "0", "--host", "127.0.0.1",
            "--write-kubeconfig", str(self.kubeconfig), "--audit-log", str(self.folder / "kubesim-audit.jsonl"),
        ], env=self.pod_env())
        wait_for("KubeSim listening", lambda: "KubeSim listening" in sim.tail(), 60, processes=[sim])
        return sim

    def start_taskpod(self):
        sim = self.start_kubesim()
        kubeconfig = self.kubeconfig
        controller = self.start("taskpod", [
            self.taskpod_binary, "controller", "--db", str(self.folder / "taskpod.sqlite"),
            "--kubeconfig", str(kubeconfig), "--namespace", "default",
            "--listen", f"127.0.0.1:{self.taskpod_port}", "--api-token-file", str(self.token_file),
            *self.controller_args,
        ])
        wait_for("taskpod ready", lambda: urllib.request.urlopen(self.taskpod_url + "/readyz", timeout=2).status == 200,
                 60, processes=[sim, controller])

    def airflow(self, *args: str) -> list[str]:
        return [str(Path(sys.executable).parent / "airflow"), *args]

    def start_airflow(self):
        migrate = subprocess.run(self.airflow("db", "migrate"), env=self.env, capture_output=True, text=True)
        if migrate.returncode != 0:
            raise RuntimeError(f"airflow db migrate failed ({migrate.returncode}):\n{migrate.stderr[-3000:]}")
        api = self.start("api-server", self.airflow("api-server", "--host", "127.0.0.1", "--port", str(self.api_port),
                                                    "--workers", "1"))
        self.start("dag-processor", self.airflow("dag-processor"))
        self.start_scheduler()
        wait_for("Airflow API server healthy",
                 lambda: http_json("GET", self.airflow_url + "/api/v2/monitor/health", timeout=5), 180,
                 interval=1, processes=[api])

    def start_scheduler(self, name: str = "scheduler") -> Process:
        return self.start(name, self.airflow("scheduler"))

    def stop(self):
        for process in reversed(list(self.processes.values())):
            process.stop()

    # -- taskpod's API -----------------------------------------------------------------------------------------

    def taskpod_tasks(self, **filters) -> list[dict]:
        """Every task matching the filters, through the package's own client."""
        from taskpod_airflow.client import TaskPodClient, TokenFile

        return list(TaskPodClient(self.taskpod_url, TokenFile(str(self.token_file))).tasks(**filters))

    def audit(self) -> list[dict]:
        path = self.folder / "kubesim-audit.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
