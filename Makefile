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

.PHONY: help setup test lint format typecheck contracts pytest generate demo bench constraints clean
.PHONY: binaries cluster-up cluster-down bench-operator

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

setup: $(STAMP) ## create .venv with the pinned dependencies and the seedctl command

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade 'pip>=24.3'
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

test: lint typecheck contracts pytest ## everything CI runs: lint, types, import contracts, tests

lint: setup ## ruff check + ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: setup ## mypy --strict on seedlib and seed_operator
	$(BIN)/mypy

contracts: setup ## import-linter: seedlib stays cluster-free, pure modules do no I/O
	$(BIN)/lint-imports

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

binaries: ## build (or reuse, cached in $SEED_CACHE/bin) kube-apiserver, kubectl and etcd
	tools/build-binaries.sh kube-apiserver kubectl etcd

cluster-up: setup binaries ## a detached kube-apiserver + etcd with the CRDs in .seed/cluster
	$(BIN)/python -m tests.cluster.controlplane up

cluster-down: ## stop what cluster-up started and remove .seed/cluster
	$(BIN)/python -m tests.cluster.controlplane down

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
