#!/usr/bin/env bash
# Proves the deployment files with the real tools (run by `make test`, after the debug build):
#   hadolint       the Dockerfile, no unexplained warning
#   image libs     every shared library of the built taskpod is in the image (scripts/check-image-libs.sh)
#   helm lint      --strict on charts/taskpod
#   schema         values the chart must refuse are refused, with the expected message
#   validate       every helm template and kustomize render (and the task Pod template inside) passes
#                  kubernetes-validate --strict for Kubernetes 1.37; ServiceMonitor (a CRD) is skipped by kind
#   rbac           the rendered Role/ClusterRole grant exactly the API calls the controller makes
#   checkov        one run over all renders: no failed check (skips carry their reason as annotations)
#   same objects   the chart renders the same objects as the matching kustomize overlay (scripts/compare-renders.py)
# Prints one line per check and a final "N passed, M failed"; exits 1 on any failure.
# Environment: TASKPOD_VENV (default .venv), TASKPOD_BINARY (default .build/debug/taskpod).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
venv="${TASKPOD_VENV:-$PWD/.venv}"
./scripts/python-tools.sh || { echo "check-deploy: the tools are missing (scripts/python-tools.sh failed)" >&2; exit 1; }
bin="$venv/bin"
binary="${TASKPOD_BINARY:-.build/debug/taskpod}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
kubernetes_version=1.37.0
skip_kinds="ServiceMonitor"   # CRDs: kubernetes-validate has no schema for them

passed=0
failed=0
check() { # check NAME COMMAND...: runs COMMAND, its output kept and shown only on failure
  local name="$1"; shift
  if "$@" >"$work/out" 2>&1; then
    passed=$((passed + 1)); echo "PASS  $name"
  else
    failed=$((failed + 1)); echo "FAIL  $name"; sed 's/^/      /' "$work/out" | tail -40
  fi
}

# --- renders --------------------------------------------------------------------------------------------------------
mkdir -p "$work/renders"
# name|helm arguments, in order
helm_cases=(
  "helm-default|"
  "helm-postgres|--set store=postgres --set replicaCount=2"
  "helm-sqlite|--set store=sqlite"
  "helm-cluster|--set rbac.scope=cluster"
  "helm-all-options|-f charts/taskpod/ci/all-options-values.yaml"
  "helm-servicemonitor|--set serviceMonitor.enabled=true --set config.namespace=tasks --set image.digest=sha256:$(printf '0%.0s' {1..64})"
)
render_helm() { # name args...
  local name="$1"; shift
  # shellcheck disable=SC2068
  "$bin/helm" template taskpod charts/taskpod --namespace taskpod $@ >"$work/renders/$name.yaml"
}
render_kustomize() {
  "$bin/kubectl" kustomize "manifests/$2" >"$work/renders/$1.yaml"
}
for case in "${helm_cases[@]}"; do
  name="${case%%|*}"; args="${case#*|}"
  # shellcheck disable=SC2086
  check "helm template ($name: ${args:-default values})" render_helm "$name" $args
done
for overlay in base overlays/postgres overlays/sqlite overlays/multi-namespace; do
  name="kustomize-$(basename "$overlay")"
  check "kubectl kustomize manifests/$overlay" render_kustomize "$name" "$overlay"
done

# --- Dockerfile -----------------------------------------------------------------------------------------------------
check "hadolint Dockerfile" "$bin/hadolint" --failure-threshold info Dockerfile
if [ -x "$binary" ]; then
  check "image has every shared library of $binary (ldd + dpkg -S)" ./scripts/check-image-libs.sh "$binary"
else
  failed=$((failed + 1)); echo "FAIL  image libraries: $binary is missing (swift build --product taskpod, or set TASKPOD_BINARY)"
fi

# --- chart ----------------------------------------------------------------------------------------------------------
check "helm lint --strict charts/taskpod" "$bin/helm" lint --strict charts/taskpod

refused() { # refused "EXPECTED MESSAGE" helm-args...: helm template must fail, saying EXPECTED MESSAGE
  local expected="$1"; shift
  if "$bin/helm" template taskpod charts/taskpod --namespace taskpod "$@" >"$work/refused" 2>&1; then
    echo "helm template $* succeeded; it must be refused"; return 1
  fi
  grep -qF -- "$expected" "$work/refused" || { echo "refused, but without \"$expected\":"; cat "$work/refused"; return 1; }
}
check "schema refuses replicaCount=abc" refused "at '/replicaCount': got string, want null or integer" --set replicaCount=abc
check "schema refuses replicaCount=0" refused "at '/replicaCount': minimum: got 0, want 1" --set replicaCount=0
check "schema refuses store=mysql" refused "at '/store': value must be one of 'postgres', 'sqlite'" --set store=mysql
check "schema refuses rbac.scope=world" refused "at '/rbac/scope': value must be one of 'namespace', 'cluster'" --set rbac.scope=world
check "schema refuses config.parallelism=0" refused "at '/config/parallelism': minimum: got 0, want 1" --set config.parallelism=0
check "schema refuses config.log_format=xml" refused "at '/config/log_format'" --set config.log_format=xml
check "schema refuses a chart-managed key (config.listen)" refused "additional properties 'listen' not allowed" --set config.listen=0.0.0.0:9
check "chart refuses store=sqlite with 2 replicas" refused "store=sqlite runs exactly one replica" --set store=sqlite --set replicaCount=2
check "chart refuses terminationGracePeriodSeconds=12 (grace 10 + 5)" refused "must be above config.shutdown_grace_period + 5 s" \
  --set terminationGracePeriodSeconds=12

# --- validation against Kubernetes 1.37 ----------------------------------------------------------------------------
split_render() { # render -> objects without the skipped kinds, and the task Pod template(s) inside the ConfigMaps
  "$bin/python" - "$1" "$2" "$3" "$skip_kinds" <<'PY'
import sys, yaml
source, objects, templates, skip = sys.argv[1], sys.argv[2], sys.argv[3], set(sys.argv[4].split(","))
docs = [d for d in yaml.safe_load_all(open(source)) if d]
kept = [d for d in docs if d.get("kind") not in skip]
pods = [yaml.safe_load(d["data"]["pod-template.yaml"]) for d in docs
        if d.get("kind") == "ConfigMap" and "pod-template.yaml" in (d.get("data") or {})]
yaml.safe_dump_all(kept, open(objects, "w"), sort_keys=False)
yaml.safe_dump_all(pods, open(templates, "w"), sort_keys=False)
print(f"{len(kept)} objects ({len(docs) - len(kept)} skipped by kind: {', '.join(sorted(skip))}), {len(pods)} task Pod templates")
PY
}
validate() { # render file
  local render="$1" base
  base="$work/validate-$(basename "$render" .yaml)"
  split_render "$render" "$base-objects.yaml" "$base-pods.yaml" || return 1
  "$bin/kubernetes-validate" -k "$kubernetes_version" --strict --quiet "$base-objects.yaml" "$base-pods.yaml" >"$base.log" 2>&1
  local status=$?
  cat "$base.log"
  # A kind without a schema is only a warning there; here it is a failure unless skipped above.
  if grep -q "Couldn't find schema" "$base.log"; then return 1; fi
  return $status
}
for render in "$work"/renders/*.yaml; do
  check "kubernetes-validate --strict -k $kubernetes_version $(basename "$render" .yaml)" validate "$render"
done

rbac_exact() { # every render grants exactly the controller's API calls (Role + ClusterRole together)
  "$bin/python" - "$@" <<'PY'
import sys, yaml
expected = {("", "pods", v) for v in ("create", "get", "list", "watch", "patch", "delete")}
expected |= {("", "pods/log", "get"), ("", "events", "list")}
expected |= {("coordination.k8s.io", "leases", v) for v in ("get", "create", "update")}
bad = 0
for path in sys.argv[1:]:
    granted = set()
    for doc in yaml.safe_load_all(open(path)):
        if doc and doc.get("kind") in ("Role", "ClusterRole"):
            for rule in doc.get("rules") or []:
                granted |= {(g, r, v) for g in rule.get("apiGroups", []) for r in rule.get("resources", [])
                            for v in rule.get("verbs", [])}
    extra, missing = granted - expected, expected - granted
    if extra or missing:
        bad += 1
        print(f"{path}: grants more {sorted(extra)} / lacks {sorted(missing)}")
sys.exit(1 if bad else 0)
PY
}
check "rbac: exactly pods c/g/l/w/p/d, pods/log get, events list, leases g/c/u in every render" rbac_exact "$work"/renders/*.yaml

# --- the shipped config file and task Pod template, read by the taskpod binary itself --------------------------------
skipped=0
extract_files() { # every distinct taskpod.yaml and pod-template.yaml of the renders, one file each
  "$bin/python" - "$work/files" "$work"/renders/*.yaml <<'PY'
import hashlib, os, sys, yaml
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for path in sys.argv[2:]:
    for doc in yaml.safe_load_all(open(path)):
        if doc and doc.get("kind") == "ConfigMap":
            for key in ("taskpod.yaml", "pod-template.yaml"):
                text = (doc.get("data") or {}).get(key)
                if text is not None:
                    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
                    open(os.path.join(out, f"{key[:-5]}-{digest}.yaml"), "w").write(text)
PY
}
render_task_pod() { # taskpod render over a shipped template gives a Pod Kubernetes 1.37 accepts
  "$binary" render --template "$1" --dag hello --task echo --run first -o yaml -- echo hi >"$1.pod" \
    && "$bin/kubernetes-validate" -k "$kubernetes_version" --strict --quiet "$1.pod"
}
if [ -x "$binary" ] && check "extract the config files and task Pod templates" extract_files; then
  for template in "$work"/files/pod-template-*.yaml; do
    check "taskpod render --template $(basename "$template") gives a valid Pod" render_task_pod "$template"
  done
  # `taskpod config check FILE` arrives with the --config work; until the binary has it this check is skipped.
  if "$binary" --help 2>/dev/null | grep -qE '^[[:space:]]+config[[:space:]]'; then
    for config in "$work"/files/taskpod-*.yaml; do
      check "taskpod config check $(basename "$config")" "$binary" config check "$config"
    done
  else
    skipped=$((skipped + 1)); echo "SKIP  taskpod config check: $binary has no \`config\` command yet"
  fi
fi

# --- checkov, once over every render --------------------------------------------------------------------------------
run_checkov() {
  "$bin/checkov" --directory "$work/renders" --framework kubernetes --compact --quiet --skip-download \
    >"$work/checkov.log" 2>&1
  local status=$?
  grep -E 'Passed checks|FAILED|Check:' "$work/checkov.log"
  [ $status -eq 0 ] && grep -q 'Failed checks: 0' "$work/checkov.log"
}
check "checkov (kubernetes) over all renders: no failed check" run_checkov
grep -h 'Passed checks' "$work/checkov.log" 2>/dev/null | sed 's/^/      /'

# --- the chart and kustomize render the same objects ----------------------------------------------------------------
same() { "$bin/python" scripts/compare-renders.py "$work/renders/$1.yaml" "$work/renders/$2.yaml"; }
check "same objects: helm default values = overlays/postgres" same helm-default kustomize-postgres
check "same objects: helm store=postgres = overlays/postgres" same helm-postgres kustomize-postgres
check "same objects: helm store=sqlite = overlays/sqlite" same helm-sqlite kustomize-sqlite
check "same objects: helm rbac.scope=cluster = overlays/multi-namespace" same helm-cluster kustomize-multi-namespace

echo "check-deploy: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
