# Kameng: `make demo` runs the platform with demo data; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# `make demo HOST=0.0.0.0 PORT=8600 SIM_PORT=9200 PAY_PORT=9400`: where the demo's web
# server, simulated supplier and simulated payment gateway listen.
HOST ?= 127.0.0.1
PORT ?= 8000
SIM_PORT ?= 9100
PAY_PORT ?= 9300
export KAMENG_DEMO_SIM_URL ?= http://127.0.0.1:$(SIM_PORT)
export KAMENG_DEMO_PAY_URL ?= http://$(DEMO_PAY_HOST):$(PAY_PORT)
# The simulator's callbacks go to the demo's web server, wherever HOST and PORT put it
# (a server on 0.0.0.0 is reached at 127.0.0.1), unless KAMENG_PUBLIC_URL is set.
DEMO_CALLBACK_HOST := $(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(HOST))
# Buyers' browsers are sent to the simulated gateway: on the web server's address.
DEMO_PAY_HOST := $(DEMO_CALLBACK_HOST)
demo: export KAMENG_PUBLIC_URL ?= http://$(DEMO_CALLBACK_HOST):$(PORT)
# Names derived from this checkout, so two checkouts can run `make test` at once on one
# machine: its own PostgreSQL database (tests use test_<name>) and its own Redis
# database (1-11; the benchmarks flush 12 and 14). Override with PG_URL / TEST_REDIS_URL.
CHECKOUT_ID := $(shell printf '%s' '$(CURDIR)' | cksum | cut -d' ' -f1)
PG_URL ?= postgres://postgres@127.0.0.1:5432/kameng_$(shell expr $(CHECKOUT_ID) % 1000000)
TEST_REDIS_URL ?= redis://127.0.0.1:6379/$(shell expr $(CHECKOUT_ID) % 11 + 1)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test test-sqlite test-postgres lint bench install clean browser assets messages

$(BIN)/kameng: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# The pages' translations: .po files are committed, the .mo files Django reads are built
# here (by Babel: no GNU gettext needed) and whenever a .po file changes.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard kameng/locale/*/LC_MESSAGES/*.po))
$(MO_FILES): %.mo: %.po $(BIN)/kameng
	$(BIN)/kameng compile-messages -v0

install: $(BIN)/kameng $(MO_FILES)

# After changing what a page says: collect its msgids (Chinese) into the catalogues
# (needs GNU gettext's xgettext), translate kameng/locale/en/LC_MESSAGES/django.po,
# then `make messages` again to compile.
messages: $(BIN)/kameng
	@if command -v xgettext >/dev/null; then \
		cd kameng && ../$(BIN)/kameng makemessages -l en --no-obsolete --add-location file \
			--ignore 'static/*' --ignore 'migrations/*' --ignore '*/migrations/*'; \
	else \
		echo "xgettext not found (apt-get install gettext): catalogues not re-extracted"; \
	fi
	$(BIN)/kameng compile-messages

# Front-end packages come from npm (package.json, package-lock.json); their built files
# are committed under kameng/static/kameng/vendor/, so `make demo` needs no Node. After
# changing package.json (`npm install` updates the lock): `make assets`, commit the
# copies, and update the versions in kameng/static/kameng/vendor/README.md.
VENDOR := kameng/static/kameng/vendor
assets:
	npm ci --ignore-scripts --no-audit --no-fund
	install -d $(VENDOR)
	install -C -m 644 node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	install -C -m 644 node_modules/htmx.org/LICENSE $(VENDOR)/htmx.LICENSE.txt
	install -C -m 644 node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts.min.js
	install -C -m 644 node_modules/echarts/LICENSE $(VENDOR)/echarts.LICENSE.txt
	install -C -m 644 node_modules/echarts/NOTICE $(VENDOR)/echarts.NOTICE.txt
	install -C -m 644 node_modules/echarts/licenses/LICENSE-d3 $(VENDOR)/echarts.LICENSE-d3.txt
	install -C -m 644 node_modules/zrender/LICENSE $(VENDOR)/zrender.LICENSE.txt

# The demo is one machine: distributors' webhook receivers may run on it too.
demo: export KAMENG_WEBHOOK_ALLOW_PRIVATE ?= 1
demo: install
	$(BIN)/kameng migrate --noinput -v0
	$(BIN)/kameng seed-demo
	$(BIN)/kameng collectstatic --noinput -v0
	@echo "Kameng on http://$(HOST):$(PORT)/ (shops) and /admin/ (operator / kameng-demo)"
	@# The simulated top-up supplier, the simulated 易支付 gateway and one Celery worker
	@# (with beat, consuming both queues: "celery" and "webhooks") run beside the web
	@# server; Ctrl-C stops all four.
	@trap 'kill $$(jobs -p) 2>/dev/null' EXIT; \
	$(BIN)/kameng sim-supplier --port $(SIM_PORT) --merchant-id demo \
		--secret kameng-demo-sim-secret --latency-ms 200 --catalog var/demo-sim-catalog.json & \
	$(BIN)/kameng sim-pay --host $(DEMO_PAY_HOST) --port $(PAY_PORT) --notify-delay-ms 300 & \
	$(BIN)/celery -A kameng worker -B -Q celery,webhooks --pool threads --concurrency 4 \
		--loglevel WARNING & \
	$(BIN)/kameng runserver $(HOST):$(PORT) --noreload

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

test-sqlite: install browser
	KAMENG_DATA_DIR=$(CURDIR)/var/test $(BIN)/pytest

test-postgres: install browser
	DATABASE_URL=$(PG_URL) REDIS_URL=$(TEST_REDIS_URL) KAMENG_SINGLE_HOST=1 KAMENG_DATA_DIR=$(CURDIR)/var/test $(BIN)/pytest

# Page tests drive Debian's chromium with a CJK font (Playwright's own browser download
# cannot work here); installed once, when missing.
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto sans cjk"; then \
		echo "installing chromium and fonts-noto-cjk for the browser tests"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk; \
	fi

test: lint browser test-sqlite test-postgres

bench: install
	$(BIN)/python benchmarks/place_orders.py --clients 16
	$(BIN)/python benchmarks/direct_orders.py
	$(BIN)/python benchmarks/api_orders.py
	$(BIN)/python benchmarks/storefront.py
	$(BIN)/python benchmarks/console_pages.py
	$(BIN)/python benchmarks/console_pages.py --database-url postgres://postgres@127.0.0.1:5432/kameng_bench_console
	$(BIN)/python benchmarks/docked_orders.py --postgres postgres://postgres@127.0.0.1:5432/postgres --redis redis://127.0.0.1:6379/13

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
