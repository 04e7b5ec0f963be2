# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint typecheck pytest bench clean install install-dev lock lock-check

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Stamp files make the installs re-run only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## The main job on the embedded default: SQLite state, inline executor, built-in sandboxes.
demo: $(VENV)/.installed
	$(BIN)/ocop-sync demo

## Install the dev extra into .venv, then ruff, mypy, the image's lock check and pytest.
test: $(VENV)/.installed-dev lint typecheck lock-check pytest

LINT_DIRS := $(wildcard sync connectors workers tests bench)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check $(LINT_DIRS)
	$(BIN)/ruff format --check $(LINT_DIRS)

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

## Two processes: most of the suite's time is waiting (sandboxes answering slowly on
## purpose, retries, Celery workers starting), so two halve its wall time even on two cores.
## Each process claims its own Redis test database (six are free: 10–15); PYTEST_WORKERS=0
## runs everything in one process.
PYTEST_WORKERS ?= 2

pytest: $(VENV)/.installed-dev
	$(BIN)/pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --durations=15 $(PYTEST_ARGS)

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench $(BENCH_ARGS)

## requirements.lock: the image's dependencies (runtime + postgres extra), pinned and hashed,
## resolved from PyPI. `lock` after changing dependencies in pyproject.toml; `lock-check`
## (CI) re-resolves keeping the pins and fails when the result differs from the committed
## lock. tests/test_lock.py checks the same offline.
LOCK_COMPILE = $(BIN)/uv pip compile pyproject.toml --extra postgres --universal \
	--python-version 3.11 --generate-hashes --quiet --custom-compile-command "make lock"

lock: $(VENV)/.installed-dev
	$(LOCK_COMPILE) -o requirements.lock

lock-check: $(VENV)/.installed-dev
	@tmp=$$(mktemp -d) && cp requirements.lock $$tmp/requirements.lock && \
	$(LOCK_COMPILE) -o $$tmp/requirements.lock && \
	if diff -u requirements.lock $$tmp/requirements.lock; then echo "requirements.lock matches pyproject.toml"; rm -rf $$tmp; \
	else echo "requirements.lock disagrees with pyproject.toml: run make lock" >&2; rm -rf $$tmp; exit 1; fi

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
