"""Sampling on Ray rollout workers (sampling/ray_sampler.py) against the local sampler, a worker killed
mid-iteration, a training run on Ray with a kill, and the one-line errors. A local Ray instance is
started once for the module (a few seconds)."""

import csv
import json
import os
import signal
import subprocess
import sys
import threading
import time

import keras
import numpy as np
import pytest

from tests.helpers import ROOT, run_train
from trpo_tf.config import ExperimentConfig
from trpo_tf.sampling.ray_cluster import shards

pytest.importorskip("ray")   # installed by make test (the ray extra); a core install has no Ray


def test_worker_side_modules_import_no_tensorflow():
  code = ("import sys, trpo_tf.sampling.rollout_worker, trpo_tf.sampling.ray_cluster; "
          "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
  proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
  assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stdout + proc.stderr


def test_shards_are_contiguous_and_balanced():
  assert shards(16, 3) == [(0, 6), (6, 5), (11, 5)]
  assert shards(4, 4) == [(0, 1), (1, 1), (2, 1), (3, 1)]
  assert shards(5, 1) == [(0, 5)]


def _samplers(env_id: str, num_envs: int, num_workers: int, seed: int, row_invariant: bool = True):
  """A local sampler, a Ray sampler with the same envs, and one numpy actor for both."""
  from trpo_tf.networks import build_networks
  from trpo_tf.sampling.actors import NumpyMLPActor
  from trpo_tf.sampling.factory import make_sampler
  config = ExperimentConfig().override(env_id=env_id, num_envs=num_envs)
  keras.utils.set_random_seed(seed)
  local = make_sampler(config.sampler, 0.99, seed)
  remote = make_sampler(config.override(sampler_backend="ray", num_workers=num_workers).sampler, 0.99, seed)
  policy, _ = build_networks(local.observation_space, local.action_space, config.network)
  return local, remote, NumpyMLPActor(policy, seed, row_invariant=row_invariant)


@pytest.mark.parametrize("env_id, steps, num_workers", [("CartPole-v1", 48, 2), ("Pendulum-v1", 90, 2),
                                                        ("Pendulum-v1", 90, 1)])
def test_ray_batches_equal_the_local_samplers(env_id, steps, num_workers):
  """Same seed, same envs: every field of every batch, the reward scaler's statistics, the episode
  returns (in order) and the counters agree exactly, whether the 5 envs run on one worker or on two
  (3 + 2). CartPole ends episodes by termination, Pendulum by its 200-step truncation. The local actor
  multiplies row-invariantly here, as the workers do (numpy_policy.py)."""
  local, remote, actor = _samplers(env_id, 5, num_workers, seed=3)
  try:
    local.reset(11)
    remote.reset(11)
    ended = 0
    for _ in range(3):
      a, b = local.collect(actor, steps), remote.collect(actor, steps)
      ended += len(a.episode_returns)
      for field in ("obs", "actions", "rewards", "terminated", "truncated", "valid", "last_obs"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)
      assert a.episode_returns == b.episode_returns and a.episode_lengths == b.episode_lengths
      assert b.sampler_metrics["sampler/worker_restarts"] == 0
    assert ended >= 5   # the episode boundaries (and the autoreset rows after them) were compared too
    assert (local.reward_scaler.mean, local.reward_scaler.var, local.reward_scaler.count) == \
        (remote.reward_scaler.mean, remote.reward_scaler.var, remote.reward_scaler.count)
    assert local.vector_steps == remote.vector_steps == 3 * steps
  finally:
    local.close()
    remote.close()


def test_the_local_blas_actor_differs_from_ray_only_by_round_off():
  """The local sampler's default actor multiplies with BLAS (faster); its actions agree with the
  workers' row-invariant ones to float32 round-off."""
  local, remote, actor = _samplers("Pendulum-v1", 5, 2, seed=3, row_invariant=False)
  try:
    local.reset(11)
    remote.reset(11)
    a, b = local.collect(actor, 8), remote.collect(actor, 8)
    np.testing.assert_allclose(a.actions, b.actions, rtol=1e-5, atol=1e-6)
  finally:
    local.close()
    remote.close()


def test_a_worker_killed_mid_iteration_is_replaced_and_its_shard_collected_again():
  local, remote, actor = _samplers("CartPole-v1", 4, 2, seed=5)
  local.close()
  try:
    remote.reset(1)
    remote.collect(actor, 16)
    victim = remote.ray.get(remote.workers[1].pid.remote())
    # SIGKILL the second worker while it steps a long batch (or, at worst, just after: the next
    # collect then finds it dead, the same path).
    killer = threading.Timer(0.3, os.kill, (victim, signal.SIGKILL))
    killer.start()
    first = remote.collect(actor, 4000)
    second = remote.collect(actor, 64)
    killer.join()
    assert remote.restarts == 1 and second.sampler_metrics["sampler/worker_restarts"] == 1
    assert remote.ray.get(remote.workers[1].pid.remote()) != victim
    for batch, steps in ((first, 4000), (second, 64)):   # complete batches: every env, every step
      assert batch.obs.shape[:2] == batch.valid.shape == (steps, 4) and np.isfinite(batch.rewards).all()
    assert remote.vector_steps == 16 + 4000 + 64         # each iteration counted once
  finally:
    remote.close()


def _ray_worker_pids():
  """PIDs of this machine's Ray rollout-worker processes (Ray titles them ray::RolloutWorker...)."""
  pids = []
  for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
      with open(f"/proc/{pid}/cmdline", "rb") as f:
        if f.read().startswith(b"ray::RolloutWorker"):
          pids.append(int(pid))
    except OSError:
      pass
  return pids


def test_training_on_ray_survives_a_killed_worker_and_learns_cartpole(tmp_path):
  """launchers/train.py on 2 Ray workers; one worker is SIGKILLed after a few iterations. The run
  finishes, counts the restart, counts every iteration and env step once, and solves CartPole."""
  run_dir = tmp_path / "run"
  cmd = [sys.executable, os.path.join(ROOT, "launchers", "train.py"), "--preset=cartpole", "--sampler_backend=ray",
         "--num_workers=2", f"--run_dir={run_dir}", "--export=false", "--progress=false"]
  before = set(_ray_worker_pids())
  proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
  killed, deadline = None, time.time() + 300
  while killed is None and proc.poll() is None and time.time() < deadline:
    time.sleep(0.5)
    rows = (run_dir / "progress.csv").read_text().count("\n") if (run_dir / "progress.csv").exists() else 0
    workers = sorted(set(_ray_worker_pids()) - before)
    if rows >= 5 and workers:
      os.kill(workers[0], signal.SIGKILL)
      killed = workers[0]
  out, err = proc.communicate(timeout=600)
  assert killed is not None, "the run ended before a worker could be killed"
  assert proc.returncode == 0, err[-3000:]
  assert "died at vector step" in err and "replaced" in err
  with open(run_dir / "progress.csv", newline="") as f:
    rows = list(csv.DictReader(f))
  assert float(rows[-1]["sampler/worker_restarts"]) == 1
  assert [int(r["iteration"]) for r in rows] == list(range(1, len(rows) + 1))
  steps = [int(r["env_steps"]) for r in rows]
  assert all(0 < b - a <= 8 * 128 for a, b in zip([0] + steps, steps))   # at most one batch per row
  with open(run_dir / "eval.json") as f:
    assert json.load(f)["mean_return"] >= 195.0, out


@pytest.mark.parametrize("flags, message", [
    (["--sampler_backend=ray", "--ray_address=127.0.0.1:1"], "cannot reach the Ray cluster at '127.0.0.1:1'"),
    (["--sampler_backend=ray", "--ray_address=nowhere"], "ray_address must be 'auto', 'host:port'"),
    (["--sampler_backend=ray", "--num_envs=64", "--num_workers=64"], "num_workers=64 but the Ray cluster has"),
    (["--sampler_backend=ray", "--num_workers=9"], "num_workers=9 is more than num_envs=8"),
    (["--sampler_backend=ray", "--sampler=vine"], "sampler=vine needs sampler_backend=local"),
    (["--sampler_backend=ray", "--act_backend=tf"], "sampler_backend=ray needs act_backend=numpy"),
    (["--sampler_backend=spark"], "sampler_backend must be one of local, ray"),
])
def test_bad_ray_input_is_one_error_line(tmp_path, flags, message):
  run_dir = tmp_path / "run"
  proc = run_train("--preset=cartpole", f"--run_dir={run_dir}", *flags, timeout=180)
  lines = proc.stderr.strip().splitlines()
  assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], \
      proc.stderr
  assert not run_dir.exists()
