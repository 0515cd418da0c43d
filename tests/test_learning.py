"""A small control task is solved with a fixed seed (real learning, real assertion)."""

import json
import os

from trpo_tf.presets import preset
from trpo_tf.trainer import Trainer


def test_cartpole_is_solved(tmp_path):
  config = preset("cartpole").override(total_steps=60_000, seed=0, eval_episodes=10)
  trainer = Trainer(config, str(tmp_path / "run"), show_progress=False)
  try:
    result = trainer.train()
  finally:
    trainer.close()
  assert result.env_steps >= 60_000
  # CartPole-v1 counts as solved at 195 (v0's threshold); the cap is 500.
  assert result.evaluation.mean_return >= 195.0, result.evaluation
  with open(tmp_path / "run" / "eval.json") as f:
    assert json.load(f)["mean_return"] == result.evaluation.mean_return
  for name in ("config.json", "progress.csv", "checkpoints", "tb"):
    assert os.path.exists(tmp_path / "run" / name), name
