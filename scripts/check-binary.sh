#!/usr/bin/env bash
# Checks that a taskpod binary (the one a container image ships) holds no simulator code: no symbol of the KubeSim
# module, nor of the HTTP server stack only the simulator uses. Exits 1 naming what it found.
#
#   scripts/check-binary.sh .build/release/taskpod
set -euo pipefail
binary="${1:-.build/release/taskpod}"
[ -x "$binary" ] || { echo "check-binary: $binary is not an executable; build it with: swift build -c release --product taskpod" >&2; exit 2; }
command -v nm >/dev/null || { echo "check-binary: nm is missing (apt-get install binutils)" >&2; exit 2; }
# Swift mangles a module name as <length><name>: 7KubeSim is the KubeSim module (KubeSimCLI would be 10KubeSimCLI).
found="$(nm "$binary" 2>/dev/null | grep -cE '7KubeSim[A-Z0-9_]' || true)"
if [ "$found" -gt 0 ]; then
  echo "check-binary: $binary holds $found symbols of the KubeSim module, for example:" >&2
  (nm "$binary" | grep -E '7KubeSim[A-Z0-9_]' | head -5 | sed 's/^/  /' >&2) || true
  exit 1
fi
echo "check-binary: $binary holds no simulator code"
