# Pathwise: two commands for a fresh machine, `make run` and `make test`.
# uv is the house tool; when it is missing we install it into .tools/ (from PyPI) first.

SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
PYTEST_ARGS ?=
BENCH_ARGS ?=
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
# CI's suites print their 15 slowest steps (setup, call, teardown): a slow test shows up in the
# log the day it lands. Not in pyproject's addopts, so a local `pytest -k ...` stays short.
DURATIONS := --durations=15
# The suites run on PYTEST_WORKERS processes (pytest-xdist), a test file per worker at a time
# (module fixtures, such as a file's own stack, are set up once). Two is what the smallest CI
# machine has cores for: the in-process suites keep one core busy, and the other would otherwise
# mostly wait while a stack's services start. `PYTEST_WORKERS=0` runs in one process.
# test-pg stays in one process: two workers' stacks (four services' pools each) and in-process
# apps went past a default PostgreSQL's 100 connections ("too many clients already").
PYTEST_WORKERS ?= 2
PARALLEL := $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile)
# The coverage gate: >= 90% of lines of shared and of every domain package, each package on its
# own (coverage-report). `make test` measures its one pytest run (no second run); `make coverage`
# measures only the in-process suites, the cheap way to check the gate locally.
COVERAGE_SUITES := shared/tests services/profiles/tests services/pathways/tests services/assessment/tests services/gateway/tests
COVERAGE_PACKAGES := pathwise_shared pathwise_profiles.domain pathwise_pathways.domain \
	pathwise_assessment.domain pathwise_gateway.edge.domain pathwise_gateway.proxy.domain \
	pathwise_gateway.events.domain pathwise_gateway.webhooks.domain \
	pathwise_gateway.aggregates.domain pathwise_gateway.clients.domain
COVERAGE_MIN := 90
COV_ARGS := $(addprefix --cov=,$(COVERAGE_PACKAGES)) --cov-report=

.PHONY: help install run test test-pg test-security test-faults openapi-check lint typecheck pytest coverage coverage-report format bench clean

help:
	@echo "make run      install, migrate, seed the demo district, start all four services"
	@echo "make test     install, ruff, mypy, the whole pytest suite (SQLite) with the coverage gate"
	@echo "make coverage  the coverage gate: >= 90% of lines of shared/ and every domain/ package"
	@echo "make test-pg  the pytest suite against PostgreSQL ($(PG_TEST_URL))"
	@echo "make test-security  schemathesis per role + cross-tenant probe (PATHWISE_TEST_DATABASE=postgresql for PG)"
	@echo "make bench    the benchmarks in bench/ (see docs/benchmarks.md)"
	@echo "make test-faults  the fault suite tests/faults/ (kill -9, outages) on PostgreSQL"
	@echo "make openapi-check  Spectral on the public OpenAPI, TypeScript and Python clients generated and used"

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check "uv>=0.5,<1"

# Bytecode is compiled at install, for the dependencies and for our own packages: every service
# process imports the whole stack, and where PYTHONDONTWRITEBYTECODE is set (containers, CI
# sandboxes) Python would otherwise compile every module again in every process it starts. It
# roughly halves a service's start-up; later runs find the files up to date and skip them.
install: $(if $(filter .tools/bin/uv,$(UV)),.tools/bin/uv)
	$(UV) sync --locked --quiet --compile-bytecode
	$(UV) run --locked python -m compileall -q -j 0 shared/src services tools/devstack/src bench tests >/dev/null

run: install
	$(UV) run --locked python -m pathwise_devstack

lint: install
	$(UV) run --locked ruff check .
	$(UV) run --locked ruff format --check .
	$(UV) run --locked lint-imports

typecheck: install
	$(UV) run --locked mypy

pytest: install
	$(UV) run --locked pytest $(DURATIONS) $(PYTEST_ARGS)

test: lint typecheck
	$(UV) run --locked pytest $(PARALLEL) $(COV_ARGS) $(DURATIONS) $(PYTEST_ARGS)
	@$(MAKE) --no-print-directory coverage-report

coverage: install
	$(UV) run --locked pytest $(COVERAGE_SUITES) $(COV_ARGS) $(DURATIONS) $(PYTEST_ARGS)
	@$(MAKE) --no-print-directory coverage-report

# Each package against the threshold on its own (a total would let a well-tested package hide
# an untested one); reads the .coverage file of the run before.
coverage-report: install
	@failed=0; for pkg in $(COVERAGE_PACKAGES); do \
		echo "== coverage of $$pkg (gate: $(COVERAGE_MIN)%)"; \
		$(UV) run --locked coverage report --skip-covered --show-missing \
			--fail-under=$(COVERAGE_MIN) --include="*/$$(echo $$pkg | tr . /)/*,*/$$(echo $$pkg | tr . /).py" || failed=1; \
	done; exit $$failed

test-pg: install
	PATHWISE_TEST_DATABASE=postgresql PATHWISE_TEST_PG_URL=$(PG_TEST_URL) $(UV) run --locked pytest $(DURATIONS) $(PYTEST_ARGS)

# tests/security (docs/security.md): not part of `make test` (norecursedirs); SQLite by default,
# PostgreSQL with the variables of test-pg: PATHWISE_TEST_DATABASE=postgresql PATHWISE_TEST_PG_URL=...
test-security: install
	$(UV) run --locked pytest tests/security --timeout=900 $(DURATIONS) $(PYTEST_ARGS)

# The fault suite is not in `make test` (tests/faults/conftest.py keeps it out unless asked for
# by path): each test starts, kills and starves a stack of its own, on PostgreSQL only.
test-faults: install
	PATHWISE_TEST_DATABASE=postgresql PATHWISE_TEST_PG_URL=$(PG_TEST_URL) $(UV) run --locked pytest tests/faults $(DURATIONS) $(PYTEST_ARGS)

# The public OpenAPI as a product (docs/api.md, "Clients"): the document built in-process, Spectral
# (tools/openapi/.spectral.yaml, fails on a warning), a TypeScript client (openapi-typescript) that
# a small usage file must type-check with `tsc --strict`, and a Python client
# (openapi-python-client, in its own environment, not the project's) that a smoke test drives
# against a real stack. The npm tools are pinned by tools/openapi/package-lock.json, the Python
# generator by tools/openapi/python-requirements.txt. Needs Node.js and npm; a few minutes.
OPENAPI_BUILD := tools/openapi/build
openapi-check: install
	rm -rf $(OPENAPI_BUILD) && mkdir -p $(OPENAPI_BUILD)
	$(UV) run --locked python -m pathwise_devstack.public_openapi --out $(OPENAPI_BUILD)/openapi.json
	cd tools/openapi && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	cd tools/openapi && npx --no-install spectral lint --ruleset .spectral.yaml --fail-severity=warn build/openapi.json
	cd tools/openapi && npx --no-install openapi-typescript build/openapi.json --default-non-nullable false -o build/ts/pathwise.d.ts
	cd tools/openapi && npx --no-install tsc --strict -p tsconfig.json
	$(UV) venv --quiet --python 3.11 $(OPENAPI_BUILD)/venv
	VIRTUAL_ENV=$(OPENAPI_BUILD)/venv $(UV) pip install --quiet --require-hashes -r tools/openapi/python-requirements.txt
	$(OPENAPI_BUILD)/venv/bin/openapi-python-client generate --path $(OPENAPI_BUILD)/openapi.json \
		--output-path $(OPENAPI_BUILD)/python-client --meta uv --config tools/openapi/python-client.yaml --fail-on-warning
	VIRTUAL_ENV=$(OPENAPI_BUILD)/venv $(UV) pip install --quiet ./$(OPENAPI_BUILD)/python-client
	$(UV) run --locked python -m pathwise_devstack.openapi_smoke \
		--python $(OPENAPI_BUILD)/venv/bin/python --script tools/openapi/smoke_client.py

format: install
	$(UV) run --locked ruff format .
	$(UV) run --locked ruff check --fix .

bench: install
	$(UV) run --locked python -m bench $(BENCH_ARGS)

clean:
	rm -rf var .tools .venv .pytest_cache .mypy_cache .ruff_cache .coverage
