# Borderwatch — the two commands a user needs are `make demo` and `make test`.
# Both create their own virtual environment in .venv; nothing is installed by hand.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out/demo

.PHONY: demo watch web cluster cluster-down test lint typecheck unit bench bench-stats clean help

help:
	@echo "make demo   - create .venv, install Borderwatch, replay the Coutts night into $(OUT)"
	@echo "make test   - install test tools, then lint, type-check and run every test"
	@echo "make watch  - the Coutts night live on the dashboard (borderwatch serve --replay coutts)"
	@echo "make web    - the dashboard's map and API-docs packages (npm ci from web/package-lock.json)"
	@echo "make cluster - PostgreSQL + NATS JetStream + API + 2 tracker workers on 127.0.0.1 (cluster-down stops)"
	@echo "make bench  - throughput benchmark (1 million detections)"
	@echo "make bench-stats - statistics benchmark (10 million person-encounters, DuckDB vs pandas)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime pyproject.toml
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# The dashboard's front-end packages (Leaflet, mgrs, Swagger UI), pinned in
# web/package-lock.json and copied into the service's static/vendor/ folder (gitignored).
# The script keeps its own stamp (the lock file's hash), so a second run does nothing.
WEB_STAMP := src/borderwatch/app/http/static/vendor/.installed
# `make test` requires them (the browser tests check the map); demo and watch go on without.
WEB_FLAGS ?=
$(WEB_STAMP): web/package-lock.json scripts/install-web.sh
	bash scripts/install-web.sh $(WEB_FLAGS)

web: $(WEB_STAMP)

demo: $(VENV)/.runtime $(WEB_STAMP)
	$(BIN)/borderwatch demo --out $(OUT)

# The Coutts night replayed live into the service; open the printed link in a browser.
# Each run starts from an empty database: the last run's is moved to $(OUT)-service.db.previous.
watch: $(VENV)/.runtime $(WEB_STAMP)
	$(BIN)/borderwatch serve --db $(OUT)-service.db --replay coutts --speed 20

$(VENV)/.cluster: $(VENV)/.runtime pyproject.toml
	$(BIN)/pip install -q -e '.[cluster]'
	touch $@

# The service on PostgreSQL and NATS JetStream (docs/deployment.md); `make cluster-down` stops it.
cluster: $(VENV)/.cluster
	$(BIN)/borderwatch cluster up --workers 2

cluster-down:
	$(BIN)/borderwatch cluster down

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/lint-imports

typecheck: $(VENV)/.dev
	$(BIN)/mypy

unit: $(VENV)/.dev
	$(BIN)/pytest tests/unit -q

# The browser and MQTT tests need Debian's chromium and mosquitto: installed here when
# missing and run as root (apt-get), else said once and those tests skip with a reason.
test: WEB_FLAGS = --require
test: lint typecheck $(WEB_STAMP)
	@bash scripts/install-test-browser.sh
	@bash scripts/install-test-services.sh
	$(BIN)/pytest

bench: $(VENV)/.runtime
	$(BIN)/python bench/run.py

bench-stats: $(VENV)/.dev
	$(BIN)/python bench/stats.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache .import_linter_cache \
	    web/node_modules src/borderwatch/app/http/static/vendor
