"""A small control task is solved with a fixed seed (real learning, real assertion)."""

import json
import os

from tests.helpers import train_run
from trpo_tf.presets import preset


def test_cartpole_is_solved(tmp_path):
  config = preset("cartpole").override(total_steps=60_000, seed=0, eval_episodes=10)
  _, result = train_run(config, tmp_path / "run")
  assert result.env_steps >= 60_000
  # CartPole-v1 counts as solved at 195 (v0's threshold); the cap is 500.
  assert result.evaluation.mean_return >= 195.0, result.evaluation
  with open(tmp_path / "run" / "eval.json") as f:
    assert json.load(f)["mean_return"] == result.evaluation.mean_return
  for name in ("config.json", "progress.csv", "checkpoints", "tb"):
    assert os.path.exists(tmp_path / "run" / name), name
  _check_plotting(tmp_path)


def _check_plotting(tmp_path):
  """benchmarks/plot_curves.py reads the same curve from progress.csv and from the TensorBoard logs."""
  import sys
  import numpy as np
  sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks"))
  from plot_curves import plot_groups, read_curve
  csv_steps, csv_values = read_curve(str(tmp_path / "run"))
  tb_steps, tb_values = read_curve(str(tmp_path / "run" / "tb"))
  assert len(csv_steps) >= 10
  np.testing.assert_array_equal(csv_steps, tb_steps)
  np.testing.assert_allclose(csv_values, tb_values, rtol=1e-6)   # TensorBoard stores float32
  out = tmp_path / "curves.png"
  plot_groups({"a": [str(tmp_path / "run"), str(tmp_path / "run" / "progress.csv")]}, str(out))
  assert out.stat().st_size > 1000


def test_async_vector_env_and_fisher_subsampling_train(tmp_path):
  """The async sampler and a 10% Fisher subsample (paper §6) run and take accepted steps."""
  import csv
  config = preset("cartpole").override(total_steps=3 * 1024, vector_mode="async", num_envs=4,
                                       steps_per_env=256, fisher_subsample=0.1, eval_episodes=0)
  _, result = train_run(config, tmp_path / "run")
  assert result.iterations >= 3
  with open(tmp_path / "run" / "progress.csv") as f:
    rows = list(csv.DictReader(f))
  assert sum(float(r["trpo/accepted"]) for r in rows) >= 2
  assert all(0 < float(r["trpo/mean_kl"]) <= 0.01 for r in rows if float(r["trpo/accepted"]))
