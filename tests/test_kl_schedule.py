"""max_kl_final_fraction: δ scheduled linearly in training progress, from max_kl to a multiple f of it
(annealed for f < 1, growing for f > 1), optionally held at max_kl for the first h of training
(max_kl_hold_fraction).

At progress p an update must take exactly the step of a constant δ·(1 − (1 − f)·p), δ·(1 − (1 − f)·(p − h)/(1 − h))
after a hold; the learner needs the progress when the schedule is on; the native loop schedules over
total_steps; f = 1 changes nothing.
"""

import csv

import gymnasium as gym
import numpy as np
import pytest

from tests.test_trust_region import _step as _update
from trpo_tf.config import ConfigError, TRPOConfig

ACT = gym.spaces.Box(-1, 1, (2,), np.float32)


def _step(progress=None, **config):
  """One update of a 2-dim Gaussian policy from a fixed initialisation and batch (test_trust_region's)."""
  return _update(ACT, lambda rng: rng.standard_normal((256, 2)).astype(np.float32), progress, **config)


@pytest.mark.parametrize("fraction, progress, delta", [
    (0.25, 0.0, 0.02), (0.25, 0.5, 0.02 * 0.625), (0.25, 1.0, 0.02 * 0.25), (0.25, 7.0, 0.005),
    (3.0, 0.0, 0.02), (3.0, 0.25, 0.02 * 1.5), (3.0, 1.0, 0.06), (3.0, 7.0, 0.06)])
def test_a_scheduled_update_steps_as_the_constant_delta_of_its_progress(fraction, progress, delta):
  annealed, info = _step(progress, max_kl=0.02, max_kl_final_fraction=fraction)
  constant, constant_info = _step(max_kl=delta)
  for a, c in zip(annealed, constant):
    np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-7)
  assert float(info.mean_kl) == pytest.approx(float(constant_info.mean_kl), rel=1e-4)
  assert float(info.mean_kl) <= delta * (1 + 1e-4)


@pytest.mark.parametrize("progress, delta", [
    (0.0, 0.02), (0.3, 0.02), (0.6, 0.02), (0.8, 0.02 * 0.55), (1.0, 0.002), (7.0, 0.002)])
def test_a_held_schedule_keeps_max_kl_then_moves_linearly_over_the_rest(progress, delta):
  """Held for the first 60%, then 0.02 → 0.002 over the last 40%: halfway there at 80% (0.011)."""
  held, info = _step(progress, max_kl=0.02, max_kl_final_fraction=0.1, max_kl_hold_fraction=0.6)
  constant, _ = _step(max_kl=delta)
  for a, c in zip(held, constant):
    np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-7)
  assert float(info.mean_kl) <= delta * (1 + 1e-4)


def test_no_hold_is_the_linear_schedule_bit_for_bit():
  """h = 0 (the default) sets exactly the δ scale of the schedule before the hold existed, linear_schedule(1, f, p),
  so runs of the presets that do not hold δ are unchanged."""
  import tensorflow as tf
  from tests.test_learner import make_learner
  from trpo_tf.trpo_step import linear_schedule
  learner, _, _ = make_learner(config=TRPOConfig(value_epochs=1, max_kl_final_fraction=0.1))
  for progress in (0.0, 1 / 3, 0.37, 0.999, 1.0, 1.7):
    learner.set_progress(progress)
    np.testing.assert_array_equal(learner.updater._max_kl_scale.numpy(),
                                  linear_schedule(1.0, 0.1, progress, tf.float32).numpy())


def test_the_hold_must_be_in_0_1_and_needs_a_schedule():
  for bad in (-0.1, 1.0, 1.5, float("nan")):
    with pytest.raises(ConfigError, match="max_kl_hold_fraction"):
      TRPOConfig(max_kl_final_fraction=0.1, max_kl_hold_fraction=bad)
  with pytest.raises(ConfigError, match="set max_kl_final_fraction ≠ 1"):
    TRPOConfig(max_kl_hold_fraction=0.5)


def test_a_constant_delta_ignores_the_progress():
  before, _ = _step(max_kl=0.02)
  after, _ = _step(0.9, max_kl=0.02)
  for a, b in zip(before, after):
    np.testing.assert_array_equal(a, b)


def test_the_fraction_must_be_positive():
  for bad in (0.0, -0.5, float("nan"), float("inf")):
    with pytest.raises(ConfigError, match="max_kl_final_fraction"):
      TRPOConfig(max_kl_final_fraction=bad)


def test_the_learner_needs_the_progress_when_delta_is_annealed():
  from tests.test_learner import make_learner, random_batch
  learner, _, _ = make_learner(config=TRPOConfig(value_epochs=1, max_kl_final_fraction=0.5))
  with pytest.raises(ValueError, match="needs the training progress"):
    learner.step(random_batch(), 0)
  learner.step(random_batch(), 0, progress=0.5)
  assert float(learner.updater._max_kl_scale.numpy()) == pytest.approx(0.75)


def test_the_learner_holds_delta_then_anneals_it():
  from tests.test_learner import make_learner, random_batch
  learner, _, _ = make_learner(config=TRPOConfig(value_epochs=1, max_kl_final_fraction=0.5,
                                                 max_kl_hold_fraction=0.5))
  for progress, scale in ((0.25, 1.0), (0.5, 1.0), (0.75, 0.75), (1.0, 0.5)):
    learner.step(random_batch(), 0, progress=progress)
    assert float(learner.updater._max_kl_scale.numpy()) == pytest.approx(scale)


def test_the_native_loop_anneals_delta_over_total_steps(tmp_path):
  """CartPole, 512 steps in batches of ≤ 64 (autoreset rows do not count), δ 0.05 → 0.005: every update's KL
  stays within the δ of the steps done before it, and the last updates move the policy far less than the first."""
  from tests.helpers import train_run
  from trpo_tf.presets import preset
  config = preset("cartpole").override(num_envs=4, steps_per_env=16, total_steps=512, eval_episodes=0,
                                       max_kl=0.05, max_kl_final_fraction=0.1)
  trainer, _ = train_run(config, tmp_path / "run")
  with open(tmp_path / "run" / "progress.csv") as f:
    rows = list(csv.DictReader(f))
  kls = [float(r["trpo/mean_kl"]) for r in rows]
  done_before = [0] + [int(r["env_steps"]) for r in rows[:-1]]
  deltas = [0.05 * (1 - 0.9 * d / 512) for d in done_before]
  assert len(kls) >= 8 and all(0 < kl <= d * (1 + 1e-4) for kl, d in zip(kls, deltas))
  assert deltas[-1] < 0.015 and max(kls[-2:]) < 0.5 * min(kls[:2])
  assert float(trainer.learner.updater._max_kl_scale.numpy()) == pytest.approx(deltas[-1] / 0.05)


def test_the_launcher_says_when_delta_is_held(tmp_path):
  from tests.helpers import run_train
  proc = run_train("--preset=cartpole", "--total_steps=256", "--num_envs=2", "--steps_per_env=32", "--eval_episodes=0",
                   "--max_kl_final_fraction=0.5", "--max_kl_hold_fraction=0.25", f"--run_dir={tmp_path / 'run'}",
                   timeout=300)
  assert proc.returncode == 0, proc.stderr
  assert ("δ stays at its initial value for the first 64 of the 256 env steps, then moves linearly over the rest "
          "to 0.5× its initial value") in proc.stdout
