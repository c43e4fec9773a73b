#!/usr/bin/env bash
# Checks that the container image cannot miss a shared library of the taskpod binary.
#
#   scripts/check-image-libs.sh [BINARY]        (default .build/debug/taskpod)
#
# It runs `ldd` on a built taskpod and maps every library to its Debian package with `dpkg -S` (this machine is
# Debian bookworm, the image's release). Every package must be one the image has:
#   - installed by the Dockerfile's runtime stage (its apt-get install line, read from the Dockerfile),
#   - or a dependency of its library packages (`apt-cache depends --recurse`: libcurl4 pulls libssl3, libnghttp2-14, ...),
#   - or in debian:bookworm-slim itself (scripts/debian-bookworm-slim.packages, e.g. libc6, libstdc++6, zlib1g).
# The Swift runtime (libswift*, libFoundation*, lib_FoundationICU, libdispatch, libBlocksRuntime: the toolchain's
# usr/lib/swift/linux) is not looked up: the image's binary is built with --static-swift-stdlib, which links it into
# the executable, and the script checks the Dockerfile says so. A debug binary is fine for the rest: it links the
# same system libraries (libcurl, libyaml, libc, libstdc++) as the release build.
# Exits 1 naming each library whose package the image would lack, or any library ldd cannot find.
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${1:-.build/debug/taskpod}"
dockerfile="${DOCKERFILE:-Dockerfile}"
[ -x "$binary" ] || { echo "check-image-libs: $binary is not an executable; build it with: swift build --product taskpod" >&2; exit 2; }
for tool in ldd dpkg apt-cache; do
  command -v "$tool" >/dev/null || { echo "check-image-libs: $tool is missing (a Debian machine is needed)" >&2; exit 2; }
done

grep -q -- '--static-swift-stdlib' "$dockerfile" \
  || { echo "check-image-libs: $dockerfile does not build with --static-swift-stdlib; the Swift runtime would be missing" >&2; exit 1; }

# The runtime stage: from the last FROM to the end. Its apt-get install line's package names (flags dropped).
runtime_packages="$(awk '/^FROM /{stage=""} {stage = stage $0 "\n"} END {printf "%s", stage}' "$dockerfile" \
  | sed -e ':a' -e '/\\$/N; s/\\\n//; ta' \
  | grep -o 'apt-get install[^&;]*' \
  | sed -e 's/apt-get install//' | tr ' ' '\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' | sort -u)"
[ -n "$runtime_packages" ] || { echo "check-image-libs: found no apt-get install line in the runtime stage of $dockerfile" >&2; exit 1; }

# The dependency closure of the runtime's library packages (lib*: libcurl4, libyaml-0-2). Only those: the closure of
# ca-certificates or tzdata would follow debconf's alternatives (debconf-2.0 -> cdebconf -> ...) into packages the
# image does not get, and they provide no library of the binary anyway.
library_packages="$(grep '^lib' <<<"$runtime_packages" || true)"
# shellcheck disable=SC2086
closure="$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
  --no-enhances $library_packages 2>/dev/null | grep -E '^[a-z0-9]' | sort -u)"
base="$(grep -vE '^\s*(#|$)' scripts/debian-bookworm-slim.packages | sort -u)"

package_of() { # the Debian package owning a library path, trying its real path and the /usr-merged twin
  local path="$1" real candidate
  real="$(readlink -f "$path")"
  for candidate in "$path" "$real" "/usr$path" "/usr$real" "${path#/usr}" "${real#/usr}"; do
    [ -n "$candidate" ] || continue
    if owner="$(dpkg -S "$candidate" 2>/dev/null | head -1)"; then
      echo "${owner%%:*}"; return 0
    fi
  done
  return 1
}

failures=0
while read -r line; do
  name="$(awk '{print $1}' <<<"$line")"
  case "$line" in
    *"not found"*) echo "  MISSING  $name: ldd cannot find it"; failures=$((failures + 1)); continue ;;
    *linux-vdso*) continue ;;
  esac
  path="$(sed -nE 's/.*=> (\/[^ ]+).*/\1/p' <<<"$line")"
  [ -n "$path" ] || path="$name"                     # the loader: "/lib64/ld-linux-x86-64.so.2 (0x...)"
  case "$name" in
    libswift*|libFoundation*|lib_FoundationICU*|libdispatch*|libBlocksRuntime*)
      echo "  ok       $name: Swift runtime, provided by --static-swift-stdlib (linked into the release binary)"; continue ;;
  esac
  if [[ "$path" == */usr/lib/swift/* ]]; then
    echo "  ok       $name: Swift toolchain library, provided by --static-swift-stdlib"; continue
  fi
  if ! package="$(package_of "$path")"; then
    echo "  MISSING  $name ($path): no Debian package owns it"; failures=$((failures + 1)); continue
  fi
  if grep -qxF "$package" <<<"$runtime_packages"; then how="installed by the Dockerfile"
  elif grep -qxF "$package" <<<"$base"; then how="in debian:bookworm-slim"
  elif grep -qxF "$package" <<<"$closure"; then how="a dependency of $(tr '\n' ' ' <<<"$library_packages" | sed 's/ $//')"
  else
    echo "  MISSING  $name: package $package is not installed by the Dockerfile's runtime stage, nor a dependency of its library packages, nor in debian:bookworm-slim"
    failures=$((failures + 1)); continue
  fi
  echo "  ok       $name: $package ($how)"
done < <(ldd "$binary")

if [ "$failures" -gt 0 ]; then
  echo "check-image-libs: $failures libraries of $binary would be missing in the image; add their packages to the runtime stage's apt-get line" >&2
  exit 1
fi
echo "check-image-libs: every shared library of $binary is in the image (runtime packages: $(tr '\n' ' ' <<<"$runtime_packages" | sed 's/ $//'))"
