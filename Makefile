# seed-operator: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Wheels and (later) Go builds are cached outside the repository so cold CI runs stay fast.
SEED_CACHE ?= $(HOME)/.cache/seed-operator
export PIP_CACHE_DIR := $(SEED_CACHE)/pip
export PIP_DISABLE_PIP_VERSION_CHECK := 1
STAMP := $(VENV)/.installed

.PHONY: help setup test unit lint format typecheck contracts pytest generate demo bench constraints clean
.PHONY: binaries cluster-up cluster-down bench-operator image kind-e2e chart-lint
.PHONY: node-deps node-binaries node-up node-down node-status e2e

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

setup: $(STAMP) ## create .venv with the pinned dependencies and the seedctl command

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade 'pip>=24.3'
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

test: lint typecheck contracts pytest e2e ## everything CI runs: lint, types, import contracts, every tier, the real node

lint: setup ## ruff check + ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: setup ## mypy --strict on seedlib and seed_operator
	$(BIN)/mypy

contracts: setup ## import-linter: seedlib layered by package, cluster-free, pure layers do no I/O
	$(BIN)/lint-imports

unit: setup ## the unit tier alone: pure tests, no servers, no Go binaries (about 40 s)
	$(BIN)/python -m pytest tests/unit

pytest: setup binaries ## the test suite (exit code 5, "no tests collected", fails the build)
	$(BIN)/python -m pytest

generate: setup ## regenerate CRDs (and their Helm copies) and the JSON Schema from the models
	$(BIN)/python -m seed_operator.generate

demo: setup ## validate the examples, then seed dev/tenant-a into an embedded PostgreSQL (.seed/pg)
	@echo "== seedctl validate manifests/"
	@$(BIN)/seedctl validate manifests/
	@echo
	@echo "== seedctl window manifests/profiles   (runs start only inside their UTC window)"
	@$(BIN)/seedctl window manifests/profiles
	@echo
	@echo "== seedctl run manifests/profiles/dev/tenant-a.yaml --dev-isolated"
	@$(BIN)/seedctl run manifests/profiles/dev/tenant-a.yaml --dev-isolated

bench: setup ## throughput figures, each as a ratio to a baseline measured in the same run
	$(BIN)/python -m tests.bench.generation
	$(BIN)/python -m tests.bench.loading

bench-operator: setup binaries ## the operator under load: 200 SeedRuns, 50 tenants, cap 2, instant Jobs
	$(BIN)/python -m tests.bench.seedruns

binaries: ## build (or reuse, cached in $SEED_CACHE/bin) kube-apiserver, kubectl, etcd, helm and bao
	tools/build-binaries.sh kube-apiserver kubectl etcd helm bao

cluster-up: setup binaries ## a detached kube-apiserver + etcd with the CRDs in .seed/cluster
	$(BIN)/python -m tests.cluster.controlplane up

cluster-down: ## stop what cluster-up started and remove .seed/cluster
	$(BIN)/python -m tests.cluster.controlplane down

# The image: one for the operator, seedctl Jobs, the purge CronJob and seed-verify (Dockerfile).
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
IMAGE ?= seed-operator:$(VERSION)
DOCKER ?= docker

image: ## build the container image IMAGE=seed-operator:VERSION (a Docker engine, or a private dockerd here)
	IMAGE=$(IMAGE) DOCKER=$(DOCKER) SEED_CACHE=$(SEED_CACHE) tools/build-image.sh

# A real one-node cluster (tests/node): containerd, kubelet, kube-proxy, controller-manager,
# scheduler, kube-apiserver, etcd on this machine, as root; state in .seed/node.
NODE_BINARIES := kubelet kube-controller-manager kube-scheduler kube-proxy

node-deps: ## as root on Debian: containerd, runc, CNI plugins, dockerd, mmdebstrap, iptables (tools/install-node-deps.sh)
	tools/install-node-deps.sh

node-binaries: ## build (or reuse) kubelet, kube-controller-manager, kube-scheduler, kube-proxy
	tools/build-binaries.sh $(NODE_BINARIES)

node-up: setup binaries node-deps node-binaries ## a real node with the image loaded and the CRDs; prints export KUBECONFIG=...
	SEED_CACHE=$(SEED_CACHE) $(BIN)/python -m tests.node up

node-down: ## stop everything node-up started (by pid) and remove .seed/node
	$(BIN)/python -m tests.node down

node-status: ## exit 0 only when the node recorded in .seed/node is healthy
	$(BIN)/python -m tests.node status

e2e: setup binaries node-deps node-binaries ## the real-node tier (pytest -m e2e tests/e2e): brings its own node up and down
	$(BIN)/python -m pytest -m e2e tests/e2e

kind-e2e: ## kind cluster + image + PostgreSQL/MinIO/OpenBao + chart + a SeedRun to Succeeded (needs Docker, kind, helm; not run in CI)
	tools/kind-e2e.sh

chart-lint: binaries ## helm lint + helm template of the chart (the tests do more: server dry-run, RBAC)
	$(SEED_CACHE)/bin/helm lint --strict helm/seed-operator
	$(SEED_CACHE)/bin/helm template seed-operator helm/seed-operator --namespace seeding >/dev/null

constraints: ## re-pin constraints.txt from a fresh resolution of pyproject.toml
	rm -rf $(VENV).constraints
	$(PYTHON) -m venv $(VENV).constraints
	$(VENV).constraints/bin/pip install --quiet --upgrade pip
	$(VENV).constraints/bin/pip install --quiet '.[dev]'
	{ head -2 constraints.txt; $(VENV).constraints/bin/pip freeze --exclude seed-operator; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf $(VENV).constraints

clean: ## remove the virtualenv and caches (keeps .seed/ data)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
