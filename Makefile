# Two commands on a fresh machine:
#   make train   create .venv, install everything, train TRPO on Hopper-v5 (1M steps, ~3-4 min)
#   make test    create .venv, install everything, run the test suite
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TRAIN_FLAGS ?= --preset=hopper --total_steps=1000000 --seed=0

.PHONY: train test bench clean-venv

$(STAMP): setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,bench,serving,video]"
	touch $(STAMP)

train: $(STAMP)
	$(PY) launchers/train.py $(TRAIN_FLAGS)

test: $(STAMP)
	$(PY) -m pytest tests

bench: $(STAMP)
	$(PY) benchmarks/throughput.py
	$(PY) benchmarks/serving_throughput.py

clean-venv:
	rm -rf $(VENV)
