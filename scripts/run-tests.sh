#!/usr/bin/env bash
# Runs the given test command with a throwaway PostgreSQL server on loopback, stopped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(./scripts/postgres-test-server.sh start)"
trap './scripts/postgres-test-server.sh stop >/dev/null 2>&1 || true' EXIT
"$@"
