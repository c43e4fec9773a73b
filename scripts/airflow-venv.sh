#!/usr/bin/env bash
# Makes the virtual environment `make airflow-test` runs Airflow in: apache-airflow 3.3.2 (the newest 3.x), the
# cncf-kubernetes provider (for kubernetes.client.V1Pod in executor_config, and the KubernetesExecutor the
# benchmark compares with), psycopg2-binary and asyncpg (the benchmark's metadata DB is PostgreSQL: SQLite locks under a
# thousand workers) and taskpod-airflow from integrations/airflow, installed editable.
# Idempotent; prints nothing when the environment is ready. The folder is $TASKPOD_AIRFLOW_VENV, else .venv-airflow.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${TASKPOD_AIRFLOW_VENV:-$PWD/.venv-airflow}"
airflow_version="3.3.2"
provider="apache-airflow-providers-cncf-kubernetes==10.25.0"

ready() {
  [ -x "$venv/bin/airflow" ] \
    && "$venv/bin/python" - "$airflow_version" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
import airflow.providers.cncf.kubernetes, asyncpg, kubernetes, psycopg2, taskpod_airflow
assert version("apache-airflow") == sys.argv[1]
PY
}
ready && exit 0

./scripts/python-venv-module.sh
[ -x "$venv/bin/python" ] || { echo "creating $venv"; python3 -m venv "$venv"; }
echo "installing into $venv: apache-airflow==$airflow_version $provider psycopg2-binary asyncpg taskpod-airflow (editable)"
"$venv/bin/pip" install --quiet --disable-pip-version-check "apache-airflow==$airflow_version" "$provider" psycopg2-binary asyncpg
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -e integrations/airflow
ready || { echo "the Airflow environment in $venv is not usable" >&2; exit 1; }
