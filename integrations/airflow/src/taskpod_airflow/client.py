"""A small client for taskpod's HTTP API (docs/api.md), on the standard library only.

Errors never carry the bearer token: it is read from its file per request and only ever put in a header.
"""

from __future__ import annotations

import json
import os
import re
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

FINAL_STATES = frozenset({"success", "failed", "cancelled"})
#: The batch endpoint's limit.
MAX_BATCH = 1000


class TaskPodError(Exception):
    """Any failure talking to taskpod."""


class TaskPodUnavailable(TaskPodError):
    """taskpod could not be reached, or answered 5xx / 429: worth trying again later."""


class TaskPodAPIError(TaskPodError):
    """taskpod answered, and refused the request (4xx): trying again unchanged will not help."""

    def __init__(self, status: int, problems: list[dict[str, str]], message: str):
        super().__init__(message)
        self.status = status
        self.problems = problems


_BATCH_PREFIX = re.compile(r"^tasks\[\d+\]\.")


def describe_problems(problems: list[dict[str, Any]]) -> str:
    """`field: message; field: message`, as taskpod names them (without a batch's `tasks[N].` prefix)."""
    return "; ".join(
        f"{_BATCH_PREFIX.sub('', str(p.get('field', '?')))}: {p.get('message', '')}" for p in problems
    ) or "no reason given"


class TokenFile:
    """A bearer token kept in a file (first non-blank, non-comment line), read again when the file changes."""

    def __init__(self, path: str):
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._token = ""

    def __call__(self) -> str:
        try:
            info = os.stat(self.path)
        except OSError as error:
            raise TaskPodError(f"cannot read the taskpod token file {self.path}: {error.strerror}") from None
        stamp = (info.st_ino, info.st_size, info.st_mtime_ns)
        with self._lock:
            if stamp != self._stamp:
                try:
                    with open(self.path, encoding="utf-8") as file:
                        lines = [line.strip() for line in file]
                except OSError as error:
                    raise TaskPodError(f"cannot read the taskpod token file {self.path}: {error.strerror}") from None
                tokens = [line for line in lines if line and not line.startswith("#")]
                if not tokens:
                    raise TaskPodError(f"the taskpod token file {self.path} holds no token")
                self._token, self._stamp = tokens[0], stamp
            return self._token


class TaskPodClient:
    """Calls taskpod's `/api/v1` endpoints. Thread-safe; one connection per request (urllib)."""

    def __init__(
        self,
        base_url: str,
        token: Callable[[], str] | None = None,
        *,
        timeout: float = 10.0,
        ca_file: str | None = None,
        verify: bool = True,
    ):
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.timeout = timeout
        self._context: ssl.SSLContext | None = None
        if self.base_url.startswith("https://"):
            self._context = ssl.create_default_context(cafile=ca_file)
            if not verify:
                self._context.check_hostname = False
                self._context.verify_mode = ssl.CERT_NONE

    # -- endpoints ---------------------------------------------------------------------------------------------

    def submit_batch(self, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """`POST /api/v1/tasks/batch`: one result per task, in order (`status` 201, 200, 409 or 422)."""
        if len(tasks) > MAX_BATCH:
            raise ValueError(f"a batch holds at most {MAX_BATCH} tasks, not {len(tasks)}")
        answer = self._json("POST", "/api/v1/tasks/batch", body={"tasks": tasks})
        results = answer.get("results")
        if not isinstance(results, list) or len(results) != len(tasks):
            raise TaskPodError("taskpod's batch answer does not hold one result per task")
        return results

    def changes(self, cursor: str, limit: int = 1000) -> tuple[list[dict[str, Any]], str]:
        """Tasks changed after `cursor` (`0` for all), in change order, and the cursor to poll on from."""
        answer = self._json("GET", "/api/v1/tasks", query={"updated_since": cursor, "limit": str(limit)})
        return answer.get("tasks", []), str(answer.get("next_cursor") or cursor)

    def tasks(self, **filters: str) -> Iterator[dict[str, Any]]:
        """Every task matching the filters (`dag_id`, `run_id`, `external_id`, `state`, `ids`), page by page."""
        cursor: str | None = None
        while True:
            query = {name: value for name, value in filters.items() if value not in (None, "")}
            query["limit"] = "1000"
            if cursor:
                query["cursor"] = cursor
            answer = self._json("GET", "/api/v1/tasks", query=query)
            yield from answer.get("tasks", [])
            cursor = answer.get("next_cursor")
            if not cursor:
                return

    def task(self, task_id: int) -> dict[str, Any]:
        return self._json("GET", f"/api/v1/tasks/{int(task_id)}")["task"]

    def cancel(self, task_id: int) -> dict[str, Any]:
        return self._json("POST", f"/api/v1/tasks/{int(task_id)}/cancel")["task"]

    def log(self, task_id: int, *, tail_lines: int | None = None) -> str:
        query = {"tail_lines": str(tail_lines)} if tail_lines else None
        status, _, data = self._request("GET", f"/api/v1/tasks/{int(task_id)}/log", query=query)
        return data.decode("utf-8", errors="replace")

    # -- plumbing ----------------------------------------------------------------------------------------------

    def _json(self, method: str, path: str, *, query=None, body=None) -> dict[str, Any]:
        _, _, data = self._request(method, path, query=query, body=body)
        try:
            answer = json.loads(data)
        except ValueError:
            raise TaskPodError(f"taskpod answered {method} {path} with something that is not JSON") from None
        if not isinstance(answer, dict):
            raise TaskPodError(f"taskpod answered {method} {path} with JSON that is not an object")
        return answer

    def _request(self, method: str, path: str, *, query=None, body=None) -> tuple[int, Any, bytes]:
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        if self._token is not None:
            headers["Authorization"] = "Bearer " + self._token()
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        where = f"{method} {self.base_url}{path}"
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self._context) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            payload = error.read()
            problems: list[dict[str, Any]] = []
            try:
                problems = json.loads(payload).get("errors", [])
            except (ValueError, AttributeError):
                pass
            detail = describe_problems(problems) if problems else payload[:200].decode("utf-8", "replace")
            message = f"taskpod answered {where} with {error.code}: {detail}"
            if error.code >= 500 or error.code == 429:
                raise TaskPodUnavailable(message) from None
            raise TaskPodAPIError(error.code, problems, message) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise TaskPodUnavailable(f"cannot reach taskpod at {where}: {reason}") from None
