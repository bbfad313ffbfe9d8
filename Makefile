# Campus: the commands a developer, an operator and CI use.
#   make run    Campus in one process (embedded mode) on http://127.0.0.1:8000
#   make test   the whole test suite, with a Kafka broker and PostgreSQL
#   make up     the distributed mode on this machine; make down stops it
#   make bench  the benchmark suite; it rewrites docs/benchmarks.md

VENV := .venv
PYTHON := $(VENV)/bin/python
PORT ?= 8000
# make bench SIZE=large runs the larger benchmark sizes.
SIZE ?= default

.PHONY: install run test up down lint bench clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt scripts/system-packages.sh tests/browser/package-lock.json
	scripts/system-packages.sh
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -r requirements-dev.txt
	npm ci --prefix tests/browser --no-audit --no-fund --silent
	touch $@

run: install
	$(PYTHON) -m services.runner embedded --demo --port $(PORT)

test: install
	scripts/test.sh $(ARGS)

bench: install
	scripts/with-backends.sh $(PYTHON) -m bench --size $(SIZE)

up: install
	scripts/up.sh

down:
	scripts/down.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy services shared tests scripts bench analytics

clean:
	rm -rf .run
