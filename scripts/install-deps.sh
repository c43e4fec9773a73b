#!/usr/bin/env bash
# Installs the system packages taskpod builds and tests with, when they are missing.
# As root it uses apt-get; otherwise it prints exactly what to install and fails.
set -euo pipefail

need=()
have_pc() { pkg-config --exists "$1" 2>/dev/null; }

command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
have_pc libcurl || need+=(libcurl4-openssl-dev)
have_pc yaml-0.1 || need+=(libyaml-dev)
# KubeSim --tls makes its throwaway certificates with the openssl command.
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# libcurl's pkg-config file must be the OpenSSL flavour's (the GnuTLS one lacks blob support we rely on).
if have_pc libcurl && ! dpkg -s libcurl4-openssl-dev >/dev/null 2>&1; then need+=(libcurl4-openssl-dev); fi

if ! command -v swift >/dev/null 2>&1; then
  echo "swift is not on PATH: install Swift 6.1 or newer (https://www.swift.org/install/) and retry." >&2
  exit 1
fi

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "taskpod needs these Debian packages: ${need[*]}" >&2
  echo "install them with:  sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
