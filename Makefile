# Kameng: `make demo` runs the platform with demo data; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/kameng
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test test-sqlite test-postgres lint bench install clean

$(BIN)/kameng: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/kameng

demo: install
	$(BIN)/kameng migrate --noinput -v0
	$(BIN)/kameng seed-demo
	$(BIN)/kameng collectstatic --noinput -v0
	@echo "Kameng on http://$(HOST):$(PORT)/admin/  (operator / kameng-demo)"
	$(BIN)/kameng runserver $(HOST):$(PORT) --noreload

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test-sqlite: install
	KAMENG_DATA_DIR=$(CURDIR)/var/test $(BIN)/pytest

test-postgres: install
	DATABASE_URL=$(PG_URL) KAMENG_DATA_DIR=$(CURDIR)/var/test $(BIN)/pytest

test: lint test-sqlite test-postgres

bench: install
	$(BIN)/python benchmarks/place_orders.py --clients 16

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
