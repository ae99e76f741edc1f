# The two commands a new user needs: `make demo` and `make test`. Each installs what it needs first.
SCHOOL ?= data/brookfield-academy

.PHONY: setup demo test benchmark clean

setup:
	@bash scripts/setup.sh

demo: setup
	.venv/bin/packgen check $(SCHOOL)
	.venv/bin/packgen build $(SCHOOL)

test: setup
	.venv/bin/python -m pytest

benchmark: setup
	.venv/bin/python benchmarks/bench.py

clean:
	rm -rf output/*/ .pytest_cache
