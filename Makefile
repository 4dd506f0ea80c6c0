# The two commands a new user needs (see README.md):
#   make app    set up, build the index on first run, serve the web form on http://127.0.0.1:7860
#   make test   set up (incl. a headless Chromium for the browser test) and run the tests
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: setup app test test-fast lint browser bench clean

setup: $(VENV)/.installed

# torch is installed first and pinned: this machine's CPU build of 2.13.0 is
# local, and any other version would pull gigabytes of CUDA wheels.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	$(VENV)/bin/ictqa model prepare
	touch $@

app: setup
	$(PY) app.py

# The browser test needs Debian's chromium + chromedriver; without root they
# are not installed and that one test skips with the reason.
browser:
	@if ! command -v chromedriver >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-ipafont-gothic >/dev/null) \
	      || echo "warning: could not install chromium; the browser test will skip"; \
	  else echo "note: run 'sudo apt-get install chromium chromium-driver' to enable the browser test"; fi; \
	fi

test: setup browser
	$(PY) -m pytest

test-fast: setup
	$(PY) -m pytest -m "not slow and not browser"

# Lint and types (CI runs this before the tests): ruff's rules and import
# order, ruff's formatting, and mypy over src/ (configured in pyproject.toml).
lint: setup
	$(VENV)/bin/ruff check src tests bench tools app.py examples
	$(VENV)/bin/ruff format --check src tests bench tools app.py examples
	$(VENV)/bin/mypy

# Benchmarks (need ../shared; hours, not minutes): quality and speed on the
# whole archive against naive peers, abstention across index sizes, speed on
# five editions, then scale to 10x.
bench: setup
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) bench/dev_eval.py
	$(PY) bench/dev_eval.py --editions
	$(PY) bench/archive_eval.py
	$(PY) bench/edition_reading.py
	$(PY) bench/calibrate_abstention.py --split holdout
	$(PY) bench/speed.py --sizes 1,6,25 --out bench/out/speed-archive
	$(PY) bench/scale.py
	$(PY) bench/speed.py --out bench/out/speed-archive --replot

clean:
	rm -rf $(VENV) index/CURRENT index/builds
