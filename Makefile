# USM developer entry points. Everything installs itself on first use:
# a bootstrap venv with a pinned uv, then the workspace venv from uv.lock.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
BOOT := .usm/bootstrap
UV := $(BOOT)/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: help env run test lint fix contracts bench clean

help:
	@echo "make run        start the whole stack on embedded PostgreSQL + Tansu (Ctrl-C stops it)"
	@echo "make test       run every test against real embedded servers"
	@echo "make lint       ruff + mypy --strict (check only); make fix applies ruff's fixes"
	@echo "make contracts  export OpenAPI specs into contracts/openapi/"
	@echo "make bench      run the benchmarks (results in docs/benchmarks.md)"

$(UV):
	$(PYTHON) -m venv $(BOOT)
	$(BOOT)/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) uv.lock pyproject.toml $(wildcard libs/*/pyproject.toml services/*/pyproject.toml gateway/pyproject.toml)
	$(UV) sync --frozen --all-packages --python $(PYTHON)
	@touch $@

env: $(VENV)/.synced

run: env
	$(VENV)/bin/usm dev up

test: env
	$(VENV)/bin/pytest

lint: env
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy libs/usmkit/src libs/usmdev/src services/*/src gateway/src bench

fix: env
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

contracts: env
	$(VENV)/bin/usm contracts export

bench: env
	$(VENV)/bin/python -m bench

clean:
	rm -rf $(VENV) $(BOOT)
