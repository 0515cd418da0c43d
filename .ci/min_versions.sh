#!/usr/bin/env bash
# The lower ends of setup.py's ranges (constraints-min.txt): a fresh virtualenv at those versions runs
# the library's tests and trains CartPole and Hopper (EnvPool and gymnasium) through the console
# script. Not part of .ci/run: it downloads a second TensorFlow (~600 MB) and takes ~10 min here.
#
#   bash .ci/min_versions.sh [VENV_DIR]      (default: /tmp/trpo_tf_min_venv)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-/tmp/trpo_tf_min_venv}
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -c constraints-min.txt ".[mujoco,atari,test]"
"$venv/bin/python" -m pip list 2>/dev/null | grep -iE '^(tensorflow|tf.keras|keras|gymnasium|numpy|mujoco|envpool|ale.py) '
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The library's own tests (the launcher, TF-Agents, packaging and Bazel tests need the full stack).
"$venv/bin/python" -m pytest -q -p no:cacheprovider tests/test_fisher.py tests/test_conjugate_gradient.py \
  tests/test_line_search.py tests/test_advantages.py tests/test_surrogates.py tests/test_actors.py \
  tests/test_learner.py tests/test_simulator_state.py tests/test_envpool.py tests/test_atari.py tests/test_vine.py \
  tests/test_determinism.py tests/test_learning.py
(cd "$work" && "$venv/bin/trpo-train" --preset=cartpole --total_steps=20000 --run_dir=cartpole --progress=false)
(cd "$work" && "$venv/bin/trpo-train" --preset=hopper --total_steps=20480 --eval_episodes=2 --run_dir=hopper \
  --progress=false)
(cd "$work" && "$venv/bin/trpo-train" --preset=hopper --env_backend=gymnasium --total_steps=20480 --eval_episodes=2 \
  --run_dir=hopper_gym --progress=false)
echo "lower-end versions: OK"
