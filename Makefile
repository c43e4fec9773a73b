# taskpod: the two commands a newcomer runs are `make demo` and `make test`.
SWIFT ?= swift
BUILD_FLAGS ?=

.PHONY: all deps build demo test clean bench bench-submit chaos soak release check-binary check-deploy image \
	airflow-test airflow-venv bench-airflow

all: build

deps:
	@./scripts/install-deps.sh

build: deps
	$(SWIFT) build $(BUILD_FLAGS)

# `swift build` builds both executables: taskpod, and kubesim (the simulator) that the demo starts beside it.
demo: build
	./.build/debug/taskpod demo

# The binary a container image ships, checked to hold no simulator code.
release: deps
	$(SWIFT) build -c release --product taskpod $(BUILD_FLAGS)
	./scripts/check-binary.sh .build/release/taskpod

check-binary: release

# The deployment files (Dockerfile, manifests/, charts/taskpod) proved with hadolint, helm lint, kubernetes-validate
# (Kubernetes 1.37), checkov, a helm-vs-kustomize comparison and an ldd check of the built binary against the image.
check-deploy:
	./scripts/check-deploy.sh

# The container image. Needs a Docker engine (the development machine has none; CI or your workstation builds it).
IMAGE ?= taskpod:dev
image:
	docker build --build-arg VERSION=$$(git describe --tags --always 2>/dev/null || echo dev) \
		--build-arg REVISION=$$(git rev-parse HEAD 2>/dev/null || echo unknown) -t $(IMAGE) .

# The tests talk to real things: KubeSim over loopback, SQLite files, a throwaway PostgreSQL server (started
# and stopped here), and kubectl / the official Python client from a virtual environment.
# The generated Pod schema (Sources/PodSchema/PodSchema+Table.swift) is checked against the Kubernetes 1.37 schema
# of kubernetes-validate first: a drift fails the run with a diff summary.
test: deps
	./scripts/python-tools.sh
	"$${TASKPOD_VENV:-.venv}/bin/python" scripts/gen-pod-schema.py --check
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	TASKPOD_BINARY="$$($(SWIFT) build --show-bin-path $(BUILD_FLAGS))/taskpod" ./scripts/check-deploy.sh
	./scripts/run-tests.sh $(SWIFT) test --skip-build $(BUILD_FLAGS)
	$(MAKE) --no-print-directory airflow-test

# Airflow 3.3.2 runs its tasks on taskpod (integrations/airflow): the executor's tests against a real controller and
# KubeSim, then the end-to-end run with Airflow's api-server, dag-processor and scheduler (see its run.py).
AIRFLOW_VENV ?= $(or $(TASKPOD_AIRFLOW_VENV),.venv-airflow)
airflow-venv:
	TASKPOD_AIRFLOW_VENV="$(AIRFLOW_VENV)" ./scripts/airflow-venv.sh

airflow-test: deps airflow-venv
	$(SWIFT) build --product taskpod $(BUILD_FLAGS)
	$(SWIFT) build --product kubesim $(BUILD_FLAGS)
	TASKPOD_BINARY="$$($(SWIFT) build --show-bin-path $(BUILD_FLAGS))/taskpod" \
	KUBESIM_BINARY="$$($(SWIFT) build --show-bin-path $(BUILD_FLAGS))/kubesim" \
		"$(AIRFLOW_VENV)/bin/python" -m unittest discover -s integrations/airflow/tests -v
	"$(AIRFLOW_VENV)/bin/python" integrations/airflow/e2e/run.py \
		--taskpod "$$($(SWIFT) build --show-bin-path $(BUILD_FLAGS))/taskpod" \
		--kubesim "$$($(SWIFT) build --show-bin-path $(BUILD_FLAGS))/kubesim"

# Airflow 3.3.2's scheduler queuing one DAG run of BENCH_AIRFLOW_TASKS tasks through taskpod and through the
# KubernetesExecutor, against the same KubeSim (release builds; PostgreSQL metadata DB). See BENCHMARKS.md.
BENCH_AIRFLOW_TASKS ?= 1000
BENCH_AIRFLOW_FLAGS ?=
bench-airflow: deps airflow-venv
	$(SWIFT) build -c release --scratch-path .build-release --product taskpod $(BUILD_FLAGS)
	$(SWIFT) build -c release --scratch-path .build-release --product kubesim $(BUILD_FLAGS)
	"$(AIRFLOW_VENV)/bin/python" Benchmarks/Airflow/bench.py --taskpod .build-release/release/taskpod \
		--kubesim .build-release/release/kubesim --tasks $(BENCH_AIRFLOW_TASKS) $(BENCH_AIRFLOW_FLAGS)

clean:
	rm -rf .build

# The benchmark suite (release builds): the bare client's ceiling against KubeSim (HTTP/1.1 and HTTP/2 over TLS),
# the controller on 1,000 and 10,000 queued tasks, 10,000 live Pods watched, watch events decoded; medians of
# rounds, printed as a table and written to Benchmarks/results/<date>.json. BENCH_FLAGS passes options, e.g.
# `make bench BENCH_FLAGS="--only ceiling,watch --rounds 5"`. BENCHMARKS.md records the figures by hand, with the
# machine and the command. `make test` runs the suite on tiny sizes (Tests/ChaosTests/BenchmarkSuiteTests.swift).
BENCH_FLAGS ?=
bench: deps
	$(SWIFT) build -c release --product kubesim $(BUILD_FLAGS)
	$(SWIFT) build -c release --product taskpod $(BUILD_FLAGS)
	$(SWIFT) build -c release --product ClientBenchmarks $(BUILD_FLAGS)
	BIN="$$($(SWIFT) build -c release --show-bin-path $(BUILD_FLAGS))"; \
		"$$BIN/ClientBenchmarks" --kubesim "$$BIN/kubesim" --taskpod "$$BIN/taskpod" $(BENCH_FLAGS)

# The large chaos suite (release build): 500 tasks with 10 kill -9 of the controller on SQLite and on PostgreSQL,
# the same under API faults and 30 s of downtime, two controllers with leader election, and adoption of up to
# 5,000 orphaned Pods. CHAOS_FLAGS passes options, e.g. `make chaos CHAOS_FLAGS="--seed 7 --only faults"`.
CHAOS_FLAGS ?=
chaos: deps
	$(SWIFT) build -c release --product taskpod
	$(SWIFT) build -c release --product kubesim
	$(SWIFT) build -c release --product ChaosRunner
	./scripts/run-tests.sh ./.build/release/ChaosRunner --taskpod ./.build/release/taskpod $(CHAOS_FLAGS)

# Task submissions per second through POST /api/v1/tasks/batch into SQLite and PostgreSQL (release build; a
# throwaway PostgreSQL is started and stopped). SUBMIT_FLAGS passes options, e.g. SUBMIT_FLAGS="--tasks 50000".
SUBMIT_FLAGS ?=
bench-submit: deps
	$(SWIFT) build -c release --product SubmitBench
	./scripts/run-tests.sh ./.build/release/SubmitBench $(SUBMIT_FLAGS)

# The soak benchmark (release build): 50,000 instant tasks through one controller against KubeSim in another
# process; the controller's RSS after 5,000 and 50,000 tasks (growth under 10%, peak under 64 MiB) and CPU seconds
# per 1,000 tasks. SOAK_FLAGS passes options, e.g. `make soak SOAK_FLAGS="--tasks 5000 --json soak.json"`.
SOAK_FLAGS ?=
soak: deps
	$(SWIFT) build -c release --product taskpod
	$(SWIFT) build -c release --product kubesim
	$(SWIFT) build -c release --product SoakBenchmark
	./.build/release/SoakBenchmark --taskpod ./.build/release/taskpod --kubesim ./.build/release/kubesim $(SOAK_FLAGS)
