# Two commands a new user needs:  make run   and   make test
# Both create .venv and install what they need on first use.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP     := $(VENV)/.dev-installed

.PHONY: run serve stop test lint bench simulator clean

$(RUNTIME_STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(DEV_STAMP): $(RUNTIME_STAMP) requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

run: $(RUNTIME_STAMP)  ## start the dashboard (demo mode when no BroadStreet token is set)
	$(VENV)/bin/streamlit run streamlit_app.py

PORT ?= 8501
serve: $(RUNTIME_STAMP)  ## production start for a team: headless, every interface, PORT (see README "Run it for a team")
	$(VENV)/bin/streamlit run streamlit_app.py --server.headless true --server.address 0.0.0.0 \
		--server.port $(PORT) --browser.gatherUsageStats false --server.fileWatcherType none

stop: $(RUNTIME_STAMP)  ## stop the embedded database and demo simulator that `make run` left running
	$(PY) -m bs_core db stop

lint: $(DEV_STAMP)  ## ruff, and the import rules between the packages (pyproject.toml [tool.importlinter])
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

test: lint  ## lint plus the whole test suite (the same command CI runs)
	$(PY) -m pytest

bench: $(DEV_STAMP)  ## print the benchmark figures (takes several minutes)
	$(PY) bench/store_bench.py
	$(PY) bench/sync_bench.py
	$(PY) bench/backfill_bench.py
	$(PY) bench/pages_bench.py
	$(PY) bench/backup_bench.py
	$(PY) bench/chaos.py
	$(PY) bench/silence_bench.py
	$(PY) bench/digest_bench.py
	$(PY) bench/money_bench.py
	$(PY) bench/forecast_bench.py
	$(PY) bench/first_view_bench.py
	$(PY) bench/viewers_bench.py

simulator: $(RUNTIME_STAMP)  ## serve a simulated BroadStreet on :8765
	$(PY) -m bs_core.simulator --port 8765 --size demo

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
