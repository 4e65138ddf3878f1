# Điều Hành tasks. The README's two commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
VENDOR := src/dieuhanh/web/static/vendor
PG_BIN ?= $(shell ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
PYTEST_ARGS ?=

.PHONY: demo test serve setup dev assets lint typecheck imports pytest bench clean

demo: setup ## set up and serve the embedded demo on http://127.0.0.1:8000
	$(BIN)/dieuhanh demo

serve: setup
	$(BIN)/dieuhanh serve

test: dev ## set up with dev tools, then every check and the whole test suite
	$(MAKE) --no-print-directory lint typecheck imports pytest

setup: $(VENV)/.stamp-install $(VENDOR)/.stamp

dev: setup $(VENV)/.stamp-dev

$(VENV)/.stamp-install: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/dieuhanh i18n compile
	touch $@

$(VENV)/.stamp-dev: $(VENV)/.stamp-install
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(VENDOR)/.stamp: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/echarts $(VENDOR)/htmx $(VENDOR)/leaflet $(VENDOR)/swagger-ui
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts/
	cp node_modules/echarts/LICENSE $(VENDOR)/echarts/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/htmx.org/LICENSE $(VENDOR)/htmx/
	cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/dist/images $(VENDOR)/leaflet/
	cp node_modules/leaflet/LICENSE $(VENDOR)/leaflet/
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css $(VENDOR)/swagger-ui/
	cp node_modules/swagger-ui-dist/LICENSE $(VENDOR)/swagger-ui/
	touch $@

lint:
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck:
	$(BIN)/mypy

imports:
	$(BIN)/lint-imports

pytest:
	DIEUHANH_TEST_PG_BIN="$(PG_BIN)" $(BIN)/pytest -n 2 $(PYTEST_ARGS)

bench: dev
	$(BIN)/python bench/units_load.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var .pytest_cache .mypy_cache .ruff_cache
