# Pathwise: two commands for a fresh machine, `make run` and `make test`.
# uv is the house tool; when it is missing we install it into .tools/ (from PyPI) first.

SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
PYTEST_ARGS ?=
BENCH_ARGS ?=
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/postgres

.PHONY: help install run test test-pg test-security test-faults lint typecheck pytest format bench clean

help:
	@echo "make run      install, migrate, seed the demo district, start all four services"
	@echo "make test     install, then ruff, mypy and the whole pytest suite (SQLite)"
	@echo "make test-pg  the pytest suite against PostgreSQL ($(PG_TEST_URL))"
	@echo "make test-security  schemathesis per role + cross-tenant probe (PATHWISE_TEST_DATABASE=postgresql for PG)"
	@echo "make bench    the benchmarks in bench/ (see docs/benchmarks.md)"
	@echo "make test-faults  the fault suite tests/faults/ (kill -9, outages) on PostgreSQL"

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check "uv>=0.5,<1"

install: $(if $(filter .tools/bin/uv,$(UV)),.tools/bin/uv)
	$(UV) sync --locked --quiet

run: install
	$(UV) run --locked python -m pathwise_devstack

lint: install
	$(UV) run --locked ruff check .
	$(UV) run --locked ruff format --check .
	$(UV) run --locked lint-imports

typecheck: install
	$(UV) run --locked mypy

pytest: install
	$(UV) run --locked pytest $(PYTEST_ARGS)

test: lint typecheck pytest

test-pg: install
	PATHWISE_TEST_DATABASE=postgresql PATHWISE_TEST_PG_URL=$(PG_TEST_URL) $(UV) run --locked pytest $(PYTEST_ARGS)

# tests/security (docs/security.md): not part of `make test` (norecursedirs); SQLite by default,
# PostgreSQL with the variables of test-pg: PATHWISE_TEST_DATABASE=postgresql PATHWISE_TEST_PG_URL=...
test-security: install
	$(UV) run --locked pytest tests/security --timeout=900 $(PYTEST_ARGS)

# The fault suite is not in `make test` (tests/faults/conftest.py keeps it out unless asked for
# by path): each test starts, kills and starves a stack of its own, on PostgreSQL only.
test-faults: install
	PATHWISE_TEST_DATABASE=postgresql PATHWISE_TEST_PG_URL=$(PG_TEST_URL) $(UV) run --locked pytest tests/faults $(PYTEST_ARGS)

format: install
	$(UV) run --locked ruff format .
	$(UV) run --locked ruff check --fix .

bench: install
	$(UV) run --locked python -m bench $(BENCH_ARGS)

clean:
	rm -rf var .tools .venv .pytest_cache .mypy_cache .ruff_cache
