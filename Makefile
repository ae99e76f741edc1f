# The commands a new user needs: `make demo` and `make test`. Each installs what it needs first.
SCHOOL ?= data/brookfield-academy
PY := .venv/bin/python

.PHONY: setup demo test test-fast lint docs benchmark clean

setup:
	@bash scripts/setup.sh

demo: setup
	.venv/bin/packgen check $(SCHOOL)
	.venv/bin/packgen build $(SCHOOL)

# The whole suite, as CI runs it: lint, types, layers, then every test (real LibreOffice and Chromium).
test: setup lint
	$(PY) -m pytest

# The part of the suite that starts no LibreOffice or browser: for while you work.
test-fast: setup
	$(PY) -m pytest -m "not slow" -q

lint: setup
	.venv/bin/ruff check packgen tests benchmarks scripts
	.venv/bin/ruff format --check packgen tests benchmarks scripts
	.venv/bin/mypy
	.venv/bin/lint-imports

# The documents generated from the code: the record format and the rules.
docs: setup
	$(PY) scripts/make_docs.py

benchmark: setup
	$(PY) benchmarks/bench.py

clean:
	rm -rf output/*/ .pytest_cache
