# Two commands do all the set-up on a fresh machine (Debian's Python refuses system-wide pip installs, PEP 668):
#   make demo   a virtual environment with the engine, then the demo (live on a sound card, else rendered)
#   make test   the same environment with the test tools, then every test
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test benchmarks clean

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

clean:
	rm -rf $(VENV) out
