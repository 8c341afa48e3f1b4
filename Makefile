# Every target bootstraps what it needs: a private uv in .tools, then the locked environment in .venv.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
RUN := UV_PYTHON_DOWNLOADS=never $(UV) run --frozen --no-sync
export UV_PYTHON_DOWNLOADS := never

.PHONY: demo serve-demo test test-browser check lint typecheck serve bench clean postgres java chromium assets screenshots
WEB_ASSETS := src/accord/web/static/vendor/.stamp

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

## assets: GOV.UK Frontend, Swagger UI and ReDoc from npm (web-assets/package-lock.json), served by the web service itself
assets: $(WEB_ASSETS)

$(WEB_ASSETS): web-assets/package.json web-assets/package-lock.json scripts/vendor-web-assets
	scripts/vendor-web-assets

## demo: the foundation demo, then seeds 000 (carers for vaccination), 001 (worklessness), 002 (a data trust) and 003 (an employment-programme provider) end to end, each in a fresh temporary home
demo: $(VENV)/.synced $(WEB_ASSETS)
	$(RUN) accord demo
	$(RUN) accord demo carers --scale 0.002
	$(RUN) accord demo worklessness
	$(RUN) accord demo trust
	$(RUN) accord demo provider

## serve-demo: seed 000's world in a browser at http://127.0.0.1:8000: choose a person to sign in as (Ctrl-C stops it)
serve-demo: $(VENV)/.synced $(WEB_ASSETS)
	$(RUN) accord demo carers --serve

## test-browser: the browser tests alone (real Chromium, axe-core on every page); screenshots in test-artefacts/
test-browser: $(VENV)/.synced $(WEB_ASSETS) chromium
	ACCORD_REQUIRE_BROWSER=1 $(RUN) pytest -q tests/browser

## screenshots: regenerate docs/screenshots/*.png from the demo world in real Chromium
screenshots: $(VENV)/.synced $(WEB_ASSETS) chromium
	$(RUN) python scripts/screenshots

## test: the whole suite, store tests on SQLite and on a real PostgreSQL
test: $(VENV)/.synced $(WEB_ASSETS) postgres java chromium
	$(RUN) pytest -q -n 2 --dist loadfile --durations=20

## chromium: Debian's Chromium, which the browser tests drive with Playwright (as root)
chromium:
	scripts/ensure-chromium

## java: a Java runtime for the Spark engine's tests, from Debian's packages when missing (as root)
java:
	scripts/ensure-java

## postgres: PostgreSQL's server binaries, from Debian's packages when missing (as root)
postgres:
	scripts/ensure-postgres

## check: ruff, mypy (strict on the core) and the tests with warnings as errors
check: lint typecheck test

lint: $(VENV)/.synced
	$(RUN) ruff check src tests benchmarks
	$(RUN) ruff format --check src tests benchmarks

typecheck: $(VENV)/.synced
	$(RUN) mypy

## serve: the web service and the REST API on http://127.0.0.1:8000 (API docs at /docs)
serve: $(VENV)/.synced $(WEB_ASSETS)
	$(RUN) accord serve

bench: $(VENV)/.synced
	$(RUN) python benchmarks/audit.py
	$(RUN) python benchmarks/synth.py

clean:
	rm -rf $(VENV) $(TOOLS) web-assets/node_modules src/accord/web/static/vendor .accord .pytest_cache .mypy_cache .ruff_cache
