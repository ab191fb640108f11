# The README's two commands are `make run` and `make test`; the rest are for developers.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_SETTINGS := badges_project.settings.local
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench lint format worker beat

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required (PYTHON=$(PYTHON) is %s)" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --editable .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --editable ".[dev]"
	touch $(VENV)/.installed $@

# Absolute links (badge images, emails, Open Badges ids) follow HOST and PORT.
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: $(VENV)/.installed
	bash scripts/compile-messages.sh
	DJANGO_SETTINGS_MODULE=$(RUN_SETTINGS) $(BIN)/python manage.py migrate --noinput
	DJANGO_SETTINGS_MODULE=$(RUN_SETTINGS) $(BIN)/python manage.py seed_demo
	DJANGO_SETTINGS_MODULE=$(RUN_SETTINGS) $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.installed-dev
	bash scripts/test.sh $(PYTEST_ARGS)

# Figures with a production PostgreSQL (every commit flushed) unless
# PG_DURABILITY=fast (fsync and synchronous commit off, as the tests run); the run prints which.
PG_DURABILITY ?= production
bench: $(VENV)/.installed-dev
	WITH_BROWSER=0 WITH_BENCH=1 bash scripts/system-deps.sh
	PG_DURABILITY=$(PG_DURABILITY) bash scripts/services.sh $(BIN)/python -m bench $(BENCH_ARGS)

# Ruff, and the import contracts of pyproject.toml's [tool.importlinter] (apps read
# top-down, no circles): docs/architecture.md, "Who imports whom".
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# A Celery worker against Redis (CELERY_BROKER_URL). QUEUES picks the queues it serves
# (default, emails, bulk); production runs one per queue, see docs/deployment.md.
# DJANGO_SETTINGS_MODULE: the local settings unless the environment names others (a
# worker refuses to start without one: badges_project/celery.py).
QUEUES ?= default,emails,bulk
worker: export DJANGO_SETTINGS_MODULE ?= $(RUN_SETTINGS)
worker: $(VENV)/.installed
	$(BIN)/celery -A badges_project worker --loglevel=INFO -Q $(QUEUES) $(WORKER_ARGS)

# The periodic tasks (outbox sweep, expiry): exactly one beat process per deployment.
beat: export DJANGO_SETTINGS_MODULE ?= $(RUN_SETTINGS)
beat: $(VENV)/.installed
	$(BIN)/celery -A badges_project beat --loglevel=INFO
