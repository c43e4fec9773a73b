"""The `[taskpod]` section of Airflow's configuration (airflow.cfg or `AIRFLOW__TASKPOD__*` variables)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from taskpod_airflow.client import TaskPodClient, TokenFile

SECTION = "taskpod"


class TaskPodConfigError(ValueError):
    """A `[taskpod]` setting is missing or wrong; the message names it and the fix."""


def _where(option: str) -> str:
    return f"[{SECTION}] {option} (or AIRFLOW__{SECTION.upper()}__{option.upper()})"


@dataclass(frozen=True)
class TaskPodSettings:
    api_url: str
    token_file: str | None = None
    token: str | None = None
    token_secret: str | None = None
    namespace: str | None = None
    image: str | None = None
    execution_api_server_url: str | None = None
    timeout: float = 10.0
    ca_file: str | None = None
    verify_ssl: bool = True
    batch_size: int = 500

    @classmethod
    def from_conf(cls, conf: Any) -> TaskPodSettings:
        """Reads the settings from an Airflow config parser (or anything with the same `get`)."""

        def get(option: str) -> str | None:
            value = conf.get(SECTION, option, fallback=None)
            return value.strip() if isinstance(value, str) and value.strip() else None

        api_url = get("api_url")
        if not api_url:
            raise TaskPodConfigError(
                f"{_where('api_url')} is not set: set it to taskpod's API address, "
                "e.g. http://taskpod.taskpod.svc:8080"
            )
        if not api_url.startswith(("http://", "https://")):
            raise TaskPodConfigError(f"{_where('api_url')} must start with http:// or https://, not {api_url!r}")
        token_file, token, token_secret = get("token_file"), get("token"), get("token_secret")
        given = [name for name, value in (("token_file", token_file), ("token", token), ("token_secret", token_secret)) if value]
        if len(given) > 1:
            raise TaskPodConfigError("set one of " + ", ".join(_where(name) for name in given) + ", not several")

        def number(option: str, default: float, kind=float, low: float = 0) -> Any:
            text = get(option)
            if text is None:
                return default
            try:
                value = kind(text)
            except ValueError:
                value = None
            if value is None or value <= low:
                raise TaskPodConfigError(f"{_where(option)} must be a number above {low:g}, not {text!r}")
            return value

        batch_size = number("batch_size", 500, int)
        if batch_size > 1000:
            raise TaskPodConfigError(f"{_where('batch_size')} must be at most 1000 (taskpod's batch limit)")
        verify = (get("verify_ssl") or "true").lower()
        if verify not in ("true", "false"):
            raise TaskPodConfigError(f"{_where('verify_ssl')} must be true or false, not {verify!r}")
        return cls(
            api_url=api_url,
            token_file=token_file,
            token=token,
            token_secret=token_secret,
            namespace=get("namespace"),
            image=get("image"),
            execution_api_server_url=get("execution_api_server_url"),
            timeout=number("timeout", 10.0),
            ca_file=get("ca_file"),
            verify_ssl=verify == "true",
            batch_size=batch_size,
        )

    @classmethod
    def from_airflow(cls) -> TaskPodSettings:
        from airflow.configuration import conf

        return cls.from_conf(conf)

    def client(self) -> TaskPodClient:
        token = None
        if self.token_file:
            token = TokenFile(self.token_file)
        elif self.token_secret:
            token = SecretBackendToken(self.token_secret)
        elif self.token:
            secret = self.token
            token = lambda: secret  # noqa: E731
        return TaskPodClient(
            self.api_url, token, timeout=self.timeout, ca_file=self.ca_file, verify=self.verify_ssl
        )


class SecretBackendToken:
    """The token kept under a config key in Airflow's secrets backend (`[secrets] backend`), looked up again after
    five minutes so that a rotation reaches the executor without a restart."""

    ttl = 300.0

    def __init__(self, key: str):
        self.key = key
        self._token: str | None = None
        self._read_at = 0.0

    def __call__(self) -> str:
        import time

        from taskpod_airflow.client import TaskPodError

        now = time.monotonic()
        if self._token is None or now - self._read_at > self.ttl:
            from airflow.configuration import get_custom_secret_backend

            backend = get_custom_secret_backend()
            if backend is None:
                raise TaskPodError(
                    f"{_where('token_secret')} is set but no [secrets] backend is configured to look it up"
                )
            value = backend.get_config(self.key)
            if not value:
                raise TaskPodError(f"the secrets backend holds no config value under {self.key!r} for the taskpod token")
            self._token, self._read_at = value.strip(), now
        return self._token
