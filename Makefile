# Two commands on a fresh machine:
#   make train   create .venv, install everything, train TRPO on Hopper-v5 (1M steps, ~3-4 min)
#   make test    create .venv, install everything, lint (ruff), run the test suite
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TRAIN_FLAGS ?= --preset=hopper --total_steps=1000000 --seed=0
# pytest-xdist workers: one per core; whole test files go to one worker (their module fixtures are built once).
TEST_WORKERS ?= auto

.PHONY: train test bench clean-venv

$(STAMP): setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,bench,serving,video,envpool]"
	# TF-Agents 0.19 pins tfp~=0.23 and gym<=0.23, which pip cannot resolve against this stack;
	# installed without its pins it works (trpo_tf/tf_agents needs TF_USE_LEGACY_KERAS=1).
	$(PY) -m pip install --quiet --no-deps tf-agents==0.19.0 gym==0.23.0 gin-config==0.5.0
	touch $(STAMP)

train: $(STAMP)
	$(PY) launchers/train.py $(TRAIN_FLAGS)

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=15 tests

bench: $(STAMP)
	$(PY) benchmarks/throughput.py --presets hopper --backends gymnasium,envpool
	$(PY) benchmarks/serving_throughput.py

clean-venv:
	rm -rf $(VENV)
