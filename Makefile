# The commands a new user needs: `make demo` and `make test`. Each installs what it needs first.
SCHOOL ?= data/brookfield-academy
PY := .venv/bin/python

.PHONY: setup demo test test-fast lint typecheck docs benchmark benchmark-quick clean

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
	.venv/bin/lint-imports
	.venv/bin/mypy

# The type checker alone.
typecheck: setup
	.venv/bin/mypy

# The documents generated from the code: the record format and the rules.
docs: setup
	$(PY) scripts/make_docs.py

# The standard set (an hour or more on two cores: docs/performance.md); benchmark-quick takes minutes.
benchmark: setup
	$(PY) benchmarks/bench.py
	$(PY) benchmarks/timeline.py
	$(PY) benchmarks/web.py
	$(PY) benchmarks/la.py

benchmark-quick: setup
	$(PY) benchmarks/bench.py --quick
	$(PY) benchmarks/timeline.py --runs 5
	$(PY) benchmarks/web.py --sizes 30 300 --repeat 3
	$(PY) benchmarks/la.py --quick

clean:
	rm -rf output/*/ .pytest_cache
