# One command surface for people, the README and CI.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help venv publish serve test lint typecheck unit bench samples update-golden lock clean browser harvesters

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@# pip compiles what it installs, not an editable project: compiled once here, every command
	@# starts without compiling the library (where PYTHONDONTWRITEBYTECODE is set, each would).
	$(BIN)/python -m compileall -q src flows
	@touch $(STAMP)

venv: $(STAMP) ## Create the virtual environment from the lock file

publish: $(STAMP) ## Publish every dataset from raw/ into published/ (embedded Prefect)
	$(BIN)/opendata publish

PORT        ?= 4200
PORTAL_PORT ?= 8000
BASE_URL    ?= $(OPENDATA_BASE_URL)
serve: $(STAMP) ## Prefect server + UI on :4200, the deployments, the portal on :8000 (BASE_URL=public address of published/)
	$(BIN)/opendata serve --root . --port $(PORT) --portal-port $(PORTAL_PORT) $(if $(BASE_URL),--base-url "$(BASE_URL)")

test: lint typecheck browser harvesters ## Lint, type check and run the whole test suite
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

# The harvester tier runs data.gouv.fr's udata and CKAN's ckanext-dcat, each in an environment
# of its own built from its pinned requirement file (their dependencies clash with ours).
HARVESTERS := .venv-harvesters
$(HARVESTERS)/%/.installed: tests/harvesters/%.requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found"; exit 2; }
	rm -rf $(HARVESTERS)/$*
	$(PYTHON) -m venv $(HARVESTERS)/$*
	$(HARVESTERS)/$*/bin/python -m pip install --quiet --upgrade "pip>=24"
	$(HARVESTERS)/$*/bin/python -m pip install --quiet --no-deps -r $<
	@touch $@

harvesters: $(HARVESTERS)/udata/.installed $(HARVESTERS)/ckan/.installed ## The harvesters' own environments (udata, ckanext-dcat)

# The browser tier drives Debian's Chromium (no browser download): installed here when missing
# and we may (root, as in CI); otherwise the reason is printed and make stops.
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Debian's chromium: sudo apt-get install chromium"; exit 2; \
	  fi; }

lint: $(STAMP) ## ruff check and format check
	$(BIN)/ruff check src flows tests bench
	$(BIN)/ruff format --check src flows tests bench

typecheck: $(STAMP) ## mypy on the library and the flows
	$(BIN)/mypy

unit: $(STAMP) ## Only the unit tier
	$(BIN)/python -m pytest -q tests/unit

bench: $(STAMP) ## Speed benchmarks against the reference tools (not part of make test)
	$(BIN)/python bench/run.py validate_speed
	$(BIN)/python bench/run.py sessions_scale --validate-rows 1200000
	$(BIN)/python bench/run.py portal_latency
	$(BIN)/python bench/run.py disclosure_utility
	$(BIN)/python bench/performance_page.py > docs/performance.md

samples: $(STAMP) ## Regenerate the sample deliveries in raw/ (seeded, deterministic)
	$(BIN)/opendata generate-samples --raw-dir raw

update-golden: $(STAMP) ## Rewrite the golden files of the transform tests on purpose
	OPENDATA_UPDATE_GOLDEN=1 $(BIN)/python -m pytest -q tests/unit/test_transforms.py -k golden

lock: ## Re-resolve the dependencies and rewrite requirements.lock
	rm -rf /tmp/opendata-lock && $(PYTHON) -m venv /tmp/opendata-lock
	/tmp/opendata-lock/bin/python -m pip install --quiet --upgrade "pip>=24"
	/tmp/opendata-lock/bin/python -m pip install --quiet -e ".[dev]"
	/tmp/opendata-lock/bin/python -m pip freeze --exclude-editable | grep -v '^-e ' > requirements.lock

clean: ## Remove the environment and the build output
	rm -rf $(VENV) $(HARVESTERS) published/*/ .pytest_cache .mypy_cache .ruff_cache
