import os
import sys

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# trpo_tf.tf_agents needs this before TensorFlow loads; our own networks are Keras 3 (`import keras`)
# and are unaffected, which the whole suite running with it set also checks.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


@pytest.fixture(scope="session")
def trained_cartpole(tmp_path_factory):
  """One tiny trained CartPole run and its trainer export, for the tests that only read them:
  (run_dir, export base, version 1). Tests that change them copy them first."""
  from tests.helpers import run_train
  root = tmp_path_factory.mktemp("trained_cartpole")
  run_dir, base = root / "run", root / "models"
  proc = run_train("--preset=cartpole", "--total_steps=2048", "--eval_episodes=0", f"--run_dir={run_dir}",
                   f"--export_dir={base}")
  assert proc.returncode == 0, proc.stderr[-2000:]
  assert sorted(os.listdir(base)) == ["1"]            # the final export from training
  return run_dir, base, base / "1"
