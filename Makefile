# `make run` serves Comptoir on http://127.0.0.1:8000 with demo data; `make test` runs every test.
# Both install what they need first (uv, bootstrapped with pip when missing).

PYTHON ?= python3
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
RUN := $(UV) run --frozen

.PHONY: run test screens bench lighthouse lint format install vendor migrate demo clean

run: install vendor migrate
	$(RUN) comptoir demo --if-empty
	$(RUN) comptoir serve

# Test processes side by side, one per core; PostgreSQL's tests all in one of them (tests/conftest.py).
TEST_WORKERS ?= auto
test: install vendor
	$(RUN) pytest -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder $(PYTEST_ARGS)

# Every page as each demo role sees it, on two phone sizes, checked and saved in screens/.
screens: install vendor
	COMPTOIR_REQUIRE_BROWSER=1 $(RUN) pytest tests/browser/test_page_audit.py $(PYTEST_ARGS)

bench: install vendor
	bash bench/run.sh

# Lighthouse (mobile, npm, pinned in bench/lighthouse/) on the shop, a tracking page and the queue.
lighthouse: install vendor
	$(RUN) python bench/lighthouse.py

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) lint-imports

format: install
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

install: $(UV)
	$(UV) sync --frozen --quiet

$(CURDIR)/.tools/bin/uv:
	$(PYTHON) -m venv $(CURDIR)/.tools
	$(CURDIR)/.tools/bin/pip install --quiet uv

vendor: install
	$(RUN) comptoir vendor

migrate: install
	$(RUN) comptoir db upgrade

clean:
	rm -rf .venv .tools frontend/static/vendor .pytest_cache .ruff_cache
