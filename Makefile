# Two commands do all the set-up on a fresh machine (Debian's Python refuses system-wide pip installs, PEP 668):
#   make demo   a virtual environment with the engine, then the demo (live on a sound card, else rendered)
#   make test   the same environment with the test tools, then every test
# and one checks the package a user installs:
#   make package   build the wheel, install it in a fresh virtual environment, render the demo from another folder
VENV ?= .venv
PY := $(VENV)/bin/python
# One pip cache for every environment made here, so `make package` installs what `make test` already fetched.
export PIP_CACHE_DIR ?= $(abspath $(VENV))/pip-cache

.PHONY: demo test benchmarks package clean

demo: $(VENV)/.segue
	$(PY) -m engine demo

test: $(VENV)/.segue-test
	$(PY) -m pytest

benchmarks: $(VENV)/.segue-test
	$(PY) -m pytest benchmarks

$(PY):
	python3 -m venv $(VENV)

$(VENV)/.segue: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.segue-test: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.segue

# Every step has a deadline; the wheel is built from a clean build/ (setuptools would carry stale files over).
package:
	rm -rf build
	set -eu; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	timeout 60 python3 -m venv "$$tmp/venv"; \
	timeout 180 "$$tmp/venv/bin/pip" wheel -q --no-deps -w "$$tmp/dist" .; \
	timeout 300 "$$tmp/venv/bin/pip" install -q "$$tmp"/dist/segue-*.whl; \
	cd "$$tmp"; timeout 180 "$$tmp/venv/bin/segue" demo --render --out "$$tmp/out/demo.wav"; \
	test -s "$$tmp/out/demo.wav" && test -s "$$tmp/out/demo.decisions.json"
	rm -rf build

clean:
	rm -rf $(VENV) out build
