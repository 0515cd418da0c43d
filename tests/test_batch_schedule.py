"""A batch that grows or shrinks over training (SamplerConfig.steps_per_env_final): each batch's steps per env
are the linear schedule's at the env steps done before it, rounded; -1 or the same value keep it constant."""

import csv
import subprocess
import sys

import pytest

from tests.helpers import ROOT, TRAIN, train_run
from trpo_tf.config import ConfigError, SamplerConfig
from trpo_tf.presets import preset

TOTAL = 512


def _rows(run_dir):
  with open(run_dir / "progress.csv") as f:
    return list(csv.DictReader(f))


def _scheduled(start, final, done):
  """The reference: round(start + (final − start) · done / TOTAL), the progress clipped to 1."""
  return round(start + (final - start) * min(done / TOTAL, 1.0))


def _cartpole(**overrides):
  return preset("cartpole").override(**dict(dict(num_envs=4, total_steps=TOTAL, eval_episodes=0), **overrides))


def _check_rows(rows, start, final):
  """Every row's logged steps per env is the schedule's at the steps done before its batch, and the batch
  had that many vector steps: 4 envs × s rows less CartPole's autoreset rows (one per ended episode, and an
  episode lasts at least 8 steps)."""
  done_before = [0] + [int(r["env_steps"]) for r in rows[:-1]]
  for row, done in zip(rows, done_before):
    steps = int(row["sampler/steps_per_env"])
    assert steps == _scheduled(start, final, done), (row, done)
    taken = int(row["env_steps"]) - done
    assert 4 * steps - 4 * (steps // 8 + 1) <= taken <= 4 * steps, (row, done)


@pytest.mark.parametrize("start, final", [(8, 24), (24, 8)])
def test_the_native_loop_moves_the_batch_over_total_steps(tmp_path, start, final):
  train_run(_cartpole(steps_per_env=start, steps_per_env_final=final), tmp_path / "run")
  rows = _rows(tmp_path / "run")
  _check_rows(rows, start, final)
  steps = [int(r["sampler/steps_per_env"]) for r in rows]
  assert steps[0] == start and abs(steps[-1] - final) <= 2 and len(set(steps)) >= 5


def test_an_interrupted_and_resumed_run_keeps_to_the_schedule(tmp_path):
  """The schedule reads the env steps done, which a checkpoint keeps: a run stopped after 4 iterations and
  resumed logs the same schedule as one that ran through."""
  from trpo_tf.trainer import Trainer
  config = _cartpole(steps_per_env=8, steps_per_env_final=24, checkpoint_every=1)
  first = Trainer(config, str(tmp_path / "run"), show_progress=False)
  try:
    assert first.train(should_stop=lambda: first._iterations() >= 4).status == "interrupted"
  finally:
    first.close()
  _, result = train_run(config, tmp_path / "run", resume=True)
  assert result.status == "finished" and result.env_steps >= TOTAL
  rows = _rows(tmp_path / "run")
  assert [int(r["iteration"]) for r in rows] == list(range(1, len(rows) + 1))
  _check_rows(rows, 8, 24)


def test_a_constant_batch_logs_no_schedule(tmp_path):
  train_run(_cartpole(steps_per_env=16, steps_per_env_final=16, total_steps=128), tmp_path / "run")
  rows = _rows(tmp_path / "run")
  assert all(r["sampler/steps_per_env"] == "" for r in rows)
  assert all(int(r["env_steps"]) - d <= 64 for r, d in zip(rows, [0] + [int(r["env_steps"]) for r in rows]))


@pytest.mark.parametrize("final, scheduled", [(-1, False), (64, False), (128, True), (1, True)])
def test_what_counts_as_a_schedule(final, scheduled):
  assert SamplerConfig(steps_per_env=64, steps_per_env_final=final).batch_scheduled is scheduled


@pytest.mark.parametrize("bad", [0, -2])
def test_bad_values_are_rejected(bad):
  with pytest.raises(ConfigError, match="steps_per_env_final must be >= 1, or -1"):
    SamplerConfig(steps_per_env_final=bad)


def test_the_train_launcher_prints_the_schedule(tmp_path):
  out = subprocess.run([sys.executable, TRAIN, "--preset=cartpole", "--num_envs=2", "--steps_per_env=8",
                        "--steps_per_env_final=16", "--total_steps=64", "--eval_episodes=0", "--progress=false",
                        "--export=false", f"--run_dir={tmp_path / 'run'}"],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
  assert out.returncode == 0, out.stderr
  assert "steps per env move linearly over the 64 env steps from 8 to 16 (a batch of 16 growing to 32)" \
      in out.stdout
