"""A run killed at any moment resumes from its last checkpoint with its state intact."""

import csv
import os
import signal
import subprocess
import sys
import time

import numpy as np
import tensorflow as tf

from tests.helpers import ROOT, TRAIN, run_train, train_run
from trpo_tf.presets import preset
from trpo_tf.trainer import Trainer


def test_restore_brings_back_every_piece_of_state(tmp_path):
  config = preset("pendulum").override(total_steps=8 * 256 * 3, checkpoint_every=1, eval_episodes=0)
  first, _ = train_run(config, tmp_path / "run")
  saved = {
      "policy": [v.numpy() for v in first.policy.weights],
      "value": [v.numpy() for v in first.value_net.weights],
      "adam": [np.asarray(v) for v in first.learner.value_optimizer.variables],
      "steps": int(first.env_steps.numpy()), "iteration": int(first.iteration.numpy()),
      "reward_var": first.sampler.reward_scaler.var,
  }
  assert saved["iteration"] >= 3 and int(np.asarray(first.learner.value_optimizer.iterations)) > 0
  second = Trainer(config.override(total_steps=8 * 256 * 5), str(tmp_path / "run"), resume=True,
                   show_progress=False)   # inspected before training, so not via train_run
  for a, b in zip(saved["policy"], second.policy.weights):   # includes the normaliser statistics
    np.testing.assert_array_equal(a, b.numpy())
  for a, b in zip(saved["value"], second.value_net.weights):
    np.testing.assert_array_equal(a, b.numpy())
  for a, b in zip(saved["adam"], second.learner.value_optimizer.variables):
    np.testing.assert_array_equal(a, np.asarray(b))
  assert int(second.env_steps.numpy()) == saved["steps"]
  assert int(second.iteration.numpy()) == saved["iteration"]
  assert second.sampler.reward_scaler.var == saved["reward_var"]
  assert second.sampler.vector_steps == saved["iteration"] * 256
  result = second.train()
  second.close()
  assert result.iterations > saved["iteration"] and result.env_steps >= 8 * 256 * 5


def _latest_checkpoint_steps(run_dir):
  reader = tf.train.load_checkpoint(os.path.join(run_dir, "checkpoints"))
  return int(reader.get_tensor("env_steps/.ATTRIBUTES/VARIABLE_VALUE"))


def test_killed_launcher_resumes(tmp_path):
  run_dir = str(tmp_path / "run")
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
  proc = subprocess.Popen([sys.executable, TRAIN, "--progress=false", "--export=false", "--preset=cartpole",
                           "--total_steps=10000000", "--checkpoint_every=1", f"--run_dir={run_dir}"],
                          cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
  index = os.path.join(run_dir, "checkpoints", "checkpoint")
  deadline = time.time() + 240
  while time.time() < deadline:
    if os.path.exists(index) and _latest_checkpoint_steps(run_dir) >= 3 * 1024:
      break
    time.sleep(0.2)
  proc.send_signal(signal.SIGKILL)   # no chance to clean up
  proc.wait()
  steps_at_kill = _latest_checkpoint_steps(run_dir)
  assert steps_at_kill >= 3 * 1024
  target = steps_at_kill + 3 * 1024
  done = run_train("--resume", f"--run_dir={run_dir}", f"--total_steps={target}", "--eval_episodes=1")
  assert done.returncode == 0, done.stderr[-2000:]
  assert _latest_checkpoint_steps(run_dir) >= target
  with open(os.path.join(run_dir, "progress.csv")) as f:
    rows = list(csv.DictReader(f))
  resumed = [r for r in rows if int(r["env_steps"]) > steps_at_kill]
  # The first resumed iteration continues from the checkpointed counter, not from 0.
  assert resumed and int(resumed[0]["env_steps"]) <= steps_at_kill + 1024
  assert os.path.exists(os.path.join(run_dir, "eval.json"))
