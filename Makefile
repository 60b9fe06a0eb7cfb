# Two commands do all set-up on a fresh machine:
#   make demo   - create .venv, install, run the whole pipeline on the bundled example corpus
#   make test   - create .venv, install, run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: demo test test-fast install clean-venv corpus bench

install: $(STAMP)

# torch first and pinned: the CPU build on local disk. An unpinned torch pulls a CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/forge demo

# pytest exits 5 when it collects no tests; that is not a failure of the suite.
test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$rc

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow" $(PYTEST_ARGS)

corpus: $(STAMP)
	$(BIN)/python examples/generate_corpus.py

clean-venv:
	rm -rf $(VENV)

# Benchmarks print a ratio against a baseline measured in the same run.
bench: $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check 'detect-secrets==1.5.0'
	$(BIN)/python benchmarks/scrub.py
