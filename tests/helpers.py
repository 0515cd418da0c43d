"""Shared helpers for launcher-level and Atari env tests."""

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


def noop_trace(env, steps):
  """NOOP steps of a 1-env (Atari) vector env: (lives after the step, terminated) per step, and the
  observation of every reset row (the step after an episode ended)."""
  import numpy as np
  trace, reset_obs, ended = [], [], False
  for _ in range(steps):
    obs, _, terminated, truncated, info = env.step(np.zeros(1, np.int64))
    if ended:
      reset_obs.append(obs[0])
    ended = bool(terminated[0] or truncated[0])
    trace.append((int(info["lives"][0]), bool(terminated[0])))
  return trace, reset_obs
