# Every target sets up .venv from nothing when needed, so `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO ?= demo-engagement
PYTEST_ARGS ?=

.PHONY: setup demo test test-fast lint format bench lab clean browser-deps corpus

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name playbook --display-name "Python (playbook)"
	touch $(STAMP)

setup: $(STAMP)

# The whole playbook on the bundled demo engagement (the reference system, prototype profile).
# Exit status 1 means "gate not met", which is the demo's point: only a usage error (2) fails make.
demo: setup
	test -f $(DEMO)/engagement.yaml || $(BIN)/playbook new $(DEMO) --demo
	$(BIN)/playbook run $(DEMO) || [ $$? -eq 1 ]

# Debian's chromium for the browser tests; never a browser download of playwright's own.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "browser tests need Debian's chromium: sudo apt-get install chromium"; exit 1; fi; }

test: setup browser-deps lint
	$(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-kernel-name playbook \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg $(PYTEST_ARGS)

# Unit tests only: the quick loop while coding.
test-fast: setup
	$(BIN)/python -m pytest tests -m "not browser and not e2e and not service" $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check playbook tests benchmarks
	$(BIN)/ruff format --check playbook tests benchmarks

format: setup
	$(BIN)/ruff format playbook tests benchmarks
	$(BIN)/ruff check --fix playbook tests benchmarks

# A real public corpus for `make bench` and `playbook new --template python-docs`: Debian's Python
# documentation (installed from the package archive, never downloaded at run time).
corpus:
	@test -d /usr/share/doc/python3.11/html || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11-doc >/dev/null; \
	  else echo "the real-corpus benchmark needs Debian's python3.11-doc: sudo apt-get install python3.11-doc"; fi; }

bench: setup corpus
	$(BIN)/python benchmarks/bench_run.py
	$(BIN)/python benchmarks/bench_run.py --template python-docs
	$(BIN)/python benchmarks/bench_corpus.py
	cd benchmarks && ../$(BIN)/python bench_http_client.py && ../$(BIN)/python bench_load.py \
	  && ../$(BIN)/python bench_load.py --delay-ms 20
	@test ! -f benchmarks/bench_reference.py || $(BIN)/python benchmarks/bench_reference.py --retrieval-docs 100000

lab: setup
	$(BIN)/playbook lab $(DEMO)

# Strip outputs and execution counts from notebooks before committing (cells marked
# NBVAL_CHECK_OUTPUT keep theirs: they are the expected output).
clean:
	$(BIN)/python -m playbook.notebook_hygiene notebooks
	rm -rf .pytest_cache .ruff_cache build *.egg-info
