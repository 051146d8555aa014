# Two commands do all the set-up on a fresh machine:
#   make run   - create .venv, build the index if missing or stale, serve on http://127.0.0.1:8000
#   make test  - create .venv with the test tools, install Chromium if needed, run the whole suite
# torch==2.13.0 is installed first: that pin takes the local CPU build; anything else pulls CUDA.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
TORCH := torch==2.13.0
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test index venv test-venv browser bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test: pyproject.toml $(VENV)/.runtime
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

venv: $(VENV)/.runtime
test-venv: $(VENV)/.test

index: venv
	$(BIN)/qa index --if-stale

run: venv
	$(BIN)/qa serve --host $(HOST) --port $(PORT)

# Debian's Chromium drives the browser tests (Playwright cannot download its own here).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
		else echo "Chromium is missing: run 'sudo apt-get install -y chromium'" >&2; exit 1; fi; \
	fi

test: test-venv browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: test-venv
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) index/current index/builds .pytest_cache tests/artifacts
