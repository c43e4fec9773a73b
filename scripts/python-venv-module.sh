#!/usr/bin/env bash
# Makes sure Python's venv module is there (Debian ships it apart, as python3-venv): installs it as root with
# apt-get, else says what to install and fails. Used by python-tools.sh and airflow-venv.sh.
set -euo pipefail
python3 -c "import venv, ensurepip" 2>/dev/null && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing: python3-venv"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
else
  echo "the tests need Python's venv module: sudo apt-get install -y python3-venv" >&2
  exit 1
fi
