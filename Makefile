# One command per job; `make check` runs exactly what CI runs (.ci/run calls it).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SOURCES := feedwatch tests benchmarks

.PHONY: install run demo check lint typecheck lint-imports test prometheus-test bench soak

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

# With no config file this shows the built-in demo feeds.
run: install
	$(VENV)/bin/feedwatch

demo: install
	$(VENV)/bin/feedwatch demo

lint: install
	$(VENV)/bin/ruff check $(SOURCES)
	$(VENV)/bin/ruff format --check $(SOURCES)

typecheck: install
	$(VENV)/bin/mypy

# The layers and the Textual boundary: contracts in pyproject.toml, [tool.importlinter].
# No cache: the whole graph takes a fraction of a second, and the result never rests on a
# cache that git checkouts and stashes can outdate.
lint-imports: install
	$(VENV)/bin/lint-imports --no-cache

test: install
	$(PY) -m pytest

# promtool on the shipped rules and a real scrape, then a real Prometheus firing the
# staleness rule (about 10 s; part of `test` too). Needs Debian's prometheus package.
prometheus-test: install
	$(PY) -m pytest -v tests/test_prometheus.py

check: lint typecheck lint-imports test

# Benchmarks are not part of the test run: they take minutes and want a quiet machine.
bench: install
	$(PY) benchmarks/bench_ingest.py
	$(PY) benchmarks/bench_detection.py
	$(PY) benchmarks/bench_history.py
	$(PY) benchmarks/bench_flood.py

# Half an hour per mode against a busy, faulty simulator (RELIABILITY.md); results go to
# benchmarks/results/. Both modes run at once: about 32 minutes.
soak: install
	$(PY) benchmarks/soak.py --mode headless --minutes 32 & \
	$(PY) benchmarks/soak.py --mode tui --minutes 32; wait
