# Developer entry points. See README.md.
#
#   make run [PORT=8001]     local server on SQLite, demo data, no services needed
#   make test [PYTEST_ARGS=] test suite against throw-away PostgreSQL + Redis
#   make lint / make fmt     ruff
#   make bench               bench/bench_*.py against throw-away PostgreSQL + Redis
#   make clean               remove .venv, db.sqlite3, var/

SHELL := /bin/bash

PORT ?= 8000
PYTEST_ARGS ?=
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)

VENV := .venv
VENV_PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SERVICES := bash .ci/services.sh
BENCHES = $(sort $(wildcard bench/bench_*.py))

.DEFAULT_GOAL := help
.PHONY: help install run test lint fmt bench clean

help:
	@echo "targets: run [PORT=$(PORT)], test [PYTEST_ARGS=...], lint, fmt, bench, clean"

$(VENV_PY):
	@test -n "$(PYTHON)" || { echo "python3 not found" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  echo "'$(PYTHON) -m venv' failed; on Debian: apt-get install python3-venv" >&2; exit 1; }

# Reinstall only when pyproject.toml changed since the last successful install.
$(STAMP): pyproject.toml | $(VENV_PY)
	$(VENV_PY) -m pip install -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: export DEBUG = 1
run: install
	$(VENV_PY) manage.py migrate --noinput
	$(VENV_PY) manage.py seed_demo --base-url http://127.0.0.1:$(PORT)
	$(VENV_PY) manage.py runserver 127.0.0.1:$(PORT)

# The settings refuse to start without a SECRET_KEY when DEBUG is off; tests and
# benchmarks run with DEBUG off, so give them a throw-away key unless one is set.
test bench: export SECRET_KEY ?= insecure-test-only-secret-key

test: install
	$(SERVICES) $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

fmt: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# All benchmarks share one PostgreSQL/Redis pair; every one runs even if an
# earlier one fails, and the target fails if any did.
bench: install
	@if [ -z "$(BENCHES)" ]; then echo "no bench/bench_*.py found"; exit 0; fi; \
	$(SERVICES) bash -c 'failed=(); \
	  for f in "$$@"; do \
	    echo "=== $$f"; \
	    PYTHONPATH="$(CURDIR)" $(VENV_PY) "$$f" || failed+=("$$f"); \
	  done; \
	  if [ $${#failed[@]} -gt 0 ]; then echo "FAILED: $${failed[*]}" >&2; exit 1; fi' \
	  bench $(BENCHES)

clean:
	rm -rf $(VENV) db.sqlite3 var/
