"""Shared helpers for launcher-level tests."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAIN = os.path.join(ROOT, "launchers", "train.py")


def run_train(*flags, timeout=600):
  """Runs launchers/train.py in a fresh process; returns the CompletedProcess."""
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
  if not any(f.startswith("--export") for f in flags):
    flags = ("--export=false",) + tuple(flags)   # keep tests out of the repo's exported_models/
  return subprocess.run([sys.executable, TRAIN, "--progress=false", *flags], capture_output=True,
                        text=True, timeout=timeout, cwd=ROOT, env=env)


def train_run(config, run_dir, **trainer_kwargs):
  """Builds a Trainer, trains it to config.run.total_steps and closes it; returns (trainer, result)."""
  from trpo_tf.trainer import Trainer
  trainer = Trainer(config, str(run_dir), show_progress=False, **trainer_kwargs)
  try:
    return trainer, trainer.train()
  finally:
    trainer.close()
