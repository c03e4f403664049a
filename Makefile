# Quintet: `make run` (embedded platform) and `make test` set everything up themselves.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COMPONENTS := shared gateway services/readings services/promotions services/subscriptions services/crm \
	services/marketplace deploy/sandbox deploy/platform
PYPROJECTS := $(addsuffix /pyproject.toml,$(COMPONENTS))

.PHONY: setup run test up down e2e lint format bench clean

setup: $(STAMP)

$(STAMP): constraints.txt requirements-dev.txt $(PYPROJECTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check "uv==0.13.9"
	$(BIN)/uv pip install -q --python $(BIN)/python -c constraints.txt -r requirements-dev.txt \
		$(addprefix -e ,$(COMPONENTS))
	touch $(STAMP)

run: setup  ## the whole platform in one process on http://127.0.0.1:8000
	$(BIN)/quintet run

test: setup  ## every test; integration tests use TEST_DATABASE_URL / TEST_AMQP_URL
	$(BIN)/pytest

up: setup  ## distributed mode: PostgreSQL and RabbitMQ from the environment (default: local servers)
	$(BIN)/quintet up

down:
	$(BIN)/quintet down

e2e: setup
	$(BIN)/pytest tests-e2e

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared/src

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: setup
	$(BIN)/python bench/gateway.py
	$(BIN)/python bench/readings_ingest.py
	$(BIN)/python bench/admin.py
	$(BIN)/python bench/events.py
	$(BIN)/python bench/promotions.py
	$(BIN)/python bench/subscriptions.py
	$(BIN)/python bench/crm.py

clean:
	rm -rf $(VENV) var
