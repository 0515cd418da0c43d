# Two commands on a fresh machine:
#   make train   create .venv, install everything, train TRPO on Hopper-v5 (1M steps, ~3-4 min)
#   make test    create .venv, install everything, lint (ruff), run the test suite
# and, for Bazel users (README: Building with Bazel):
#   make bazel-test          install Bazel 4 if missing, build //..., bazel test //..., shut the server down
#   make bazel-build-files   regenerate the BUILD files from the imports
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TRAIN_FLAGS ?= --preset=hopper --total_steps=1000000 --seed=0
# pytest-xdist workers: one per core; whole test files go to one worker (their module fixtures are built once).
TEST_WORKERS ?= auto
# Extra flags for `bazel test`, e.g. BAZEL_TEST_FLAGS=--test_tag_filters=-slow (what CI runs).
BAZEL_TEST_FLAGS ?=

.PHONY: train test bench bazel-test bazel-build-files clean-venv

# Everything, at the exact versions of constraints.txt (setup.py itself declares compatible ranges).
$(STAMP): setup.py constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# MuJoCo 4 split its package into mujoco-core and mujoco-studio, which pip does not remove when it installs
	# the locked 3.x over them: a .venv made before the pin to 3.17 drops all three first.
	if $(PY) -m pip show --quiet mujoco-core >/dev/null 2>&1; then \
	  $(PY) -m pip uninstall --quiet --yes mujoco mujoco-core mujoco-studio; fi
	$(PY) -m pip install --quiet -c constraints.txt -e ".[all,test,bench]"
	# TF-Agents 0.19 pins tfp~=0.23 and gym<=0.23, which pip cannot resolve against this stack;
	# installed without its pins it works (trpo_tf/tf_agents needs TF_USE_LEGACY_KERAS=1).
	$(PY) -m pip install --quiet --no-deps -c constraints.txt tf-agents gym gin-config
	touch $(STAMP)

train: $(STAMP)
	$(PY) launchers/train.py $(TRAIN_FLAGS)

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=15 tests

bench: $(STAMP)
	$(PY) benchmarks/throughput.py --presets hopper --backends gymnasium,envpool
	$(PY) benchmarks/serving_throughput.py

bazel-test: $(STAMP)
	bash third_party/bazel/bazel_test.sh $(BAZEL_TEST_FLAGS)

bazel-build-files: $(STAMP)
	$(PY) third_party/bazel/build_files.py

clean-venv:
	rm -rf $(VENV)
