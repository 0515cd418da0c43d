"""gae_lambda_final and gamma_final: GAE λ and γ scheduled linearly in training progress, from gae_lambda
(gamma) to gae_lambda_final (gamma_final).

At progress p a step's advantages must be exactly GAE with the constant λ + (λ_final − λ)·p (γ likewise; checked
against `advantages.gae` on the same values); the learner needs the progress when a schedule is on;
-1 (the default) and λ_final = λ change nothing; the native loop and the TF-Agents agent schedule over their
run; vine, whose branch returns are discounted by the sampler, refuses a γ schedule.
"""

import csv

import numpy as np
import pytest

from tests.test_learner import batch_values, make_learner, random_batch
from trpo_tf.advantages import gae
from trpo_tf.config import ConfigError, TRPOConfig


def _reference_gae(value, batch, lam, gamma=0.99):
  """GAE(gamma, lam) of the batch's valid rows with the current V, in time-major order: (advantages, returns)."""
  values, last = batch_values(value, batch)
  ref = gae(batch.rewards, values, last, batch.terminated, batch.truncated, batch.valid, gamma, lam)
  valid = batch.valid.reshape(-1)
  return ref.advantages.numpy().reshape(-1)[valid], ref.returns.numpy().reshape(-1)[valid]


def _reference_advantages(value, batch, lam, gamma=0.99):
  return _reference_gae(value, batch, lam, gamma)[0]


@pytest.mark.parametrize("start, final, progress, lam", [
    (0.9, 0.97, 0.0, 0.9), (0.9, 0.97, 0.5, 0.935), (0.9, 0.97, 1.0, 0.97), (0.9, 0.97, 4.0, 0.97),
    (0.9, 0.97, -1.0, 0.9), (1.0, 0.5, 0.25, 0.875)])
def test_a_scheduled_lambda_gives_the_gae_of_its_progress(start, final, progress, lam):
  learner, _, value = make_learner(config=TRPOConfig(value_epochs=1, gae_lambda=start, gae_lambda_final=final))
  batch = random_batch()
  learner.set_progress(progress)
  targets = learner.targets(batch)
  np.testing.assert_allclose(targets.advantages.numpy(), _reference_advantages(value, batch, lam),
                             rtol=1e-5, atol=1e-6)
  # and the schedule really moves the advantages: λ 0.9 and 0.97 differ on this batch
  other = 0.97 if lam != 0.97 else 0.9
  assert not np.allclose(targets.advantages.numpy(), _reference_advantages(value, batch, other),
                         rtol=1e-3, atol=1e-4)


def test_a_constant_lambda_ignores_the_progress():
  for config in (TRPOConfig(gae_lambda=0.9), TRPOConfig(gae_lambda=0.9, gae_lambda_final=0.9)):
    assert not config.lambda_scheduled and not config.needs_progress
    learner, _, value = make_learner(config=config)
    batch = random_batch()
    learner.set_progress(0.8)
    np.testing.assert_allclose(learner.targets(batch).advantages.numpy(),
                               _reference_advantages(value, batch, 0.9), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("bad", [1.5, -0.5, -2.0, float("nan"), float("inf")])
def test_the_final_lambda_must_be_in_the_unit_interval_or_minus_one(bad):
  with pytest.raises(ConfigError, match="gae_lambda_final must be (in|a finite)"):
    TRPOConfig(gae_lambda_final=bad)


def test_the_learner_needs_the_progress_when_lambda_is_scheduled():
  learner, _, _ = make_learner(config=TRPOConfig(value_epochs=1, gae_lambda=0.9, gae_lambda_final=1.0))
  with pytest.raises(ValueError, match="needs the training progress"):
    learner.step(random_batch(), 0)
  learner.step(random_batch(), 0, progress=0.5)
  assert float(learner._gae_lambda.numpy()) == pytest.approx(0.95)
  assert float(learner.updater._max_kl_scale.numpy()) == 1.0   # δ is not scheduled


def _logged_schedule(run_dir, column, **overrides):
  """Trains CartPole for 512 steps in batches of ≤ 64 (autoreset rows do not count) with `overrides`; returns
  `column` of each update's progress.csv row and the env steps done before its batch."""
  from tests.helpers import train_run
  from trpo_tf.presets import preset
  config = preset("cartpole").override(num_envs=4, steps_per_env=16, total_steps=512, eval_episodes=0, **overrides)
  train_run(config, run_dir)
  with open(run_dir / "progress.csv") as f:
    rows = list(csv.DictReader(f))
  return [float(r[column]) for r in rows], [0] + [int(r["env_steps"]) for r in rows[:-1]]


def _agent_schedule(read, **kwargs):
  """The TF-Agents agent with a schedule in `kwargs` refuses to start without total_train_iterations; with 4,
  `read(learner)` after each of 4 compiled train() calls."""
  from tests.test_tf_agents import make_setup, train_iterations
  with pytest.raises(ValueError, match="pass total_train_iterations"):
    make_setup(**kwargs)
  _, agent, buffer, collect = make_setup(total_train_iterations=4, **kwargs)
  values = []
  for _ in range(4):
    train_iterations(agent, buffer, collect, 1)
    values.append(read(agent._learner))
  return values


def test_the_native_loop_moves_lambda_over_total_steps(tmp_path):
  """λ 0.8 → 1: each update's λ, logged in progress.csv, is the schedule's at the env steps done before its batch."""
  lams, done_before = _logged_schedule(tmp_path / "run", "advantages/gae_lambda", gae_lambda=0.8, gae_lambda_final=1.0)
  assert len(lams) >= 8
  np.testing.assert_allclose(lams, [0.8 + 0.2 * d / 512 for d in done_before], rtol=1e-6)
  assert lams[0] == pytest.approx(0.8) and lams[-1] > 0.95


def test_the_train_launcher_takes_the_flag():
  import subprocess
  import sys
  out = subprocess.run([sys.executable, "launchers/train.py", "--preset=cartpole", "--gae_lambda=0.9",
                        "--gae_lambda_final=0.98", "--print_config"], capture_output=True, text=True, timeout=120)
  assert out.returncode == 0, out.stderr
  assert '"gae_lambda_final": 0.98' in out.stdout


def test_the_tf_agents_agent_moves_lambda_over_total_train_iterations():
  """λ 0.8 → 1 over 4 compiled train() calls: the last call's λ is the schedule's at its count (3 of 4)."""
  lams = _agent_schedule(lambda learner: float(learner._gae_lambda.numpy()), gae_lambda=0.8, gae_lambda_final=1.0)
  np.testing.assert_allclose(lams, [0.8, 0.85, 0.9, 0.95], rtol=1e-6)


@pytest.mark.parametrize("progress, gamma", [(0.0, 0.9), (0.5, 0.945), (1.0, 0.99), (3.0, 0.99), (-1.0, 0.9)])
def test_a_scheduled_gamma_gives_the_gae_and_returns_of_its_progress(progress, gamma):
  learner, _, value = make_learner(config=TRPOConfig(value_epochs=1, gamma=0.9, gamma_final=0.99,
                                                     gae_lambda=0.95))
  assert learner.config.gamma_scheduled and learner.config.needs_progress
  batch = random_batch()
  learner.set_progress(progress)
  targets = learner.targets(batch)
  advantages, returns = _reference_gae(value, batch, 0.95, gamma)
  np.testing.assert_allclose(targets.advantages.numpy(), advantages, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(targets.returns.numpy(), returns, rtol=1e-5, atol=1e-5)
  other = 0.99 if gamma != 0.99 else 0.9   # and γ really moves them on this batch
  assert not np.allclose(targets.advantages.numpy(), _reference_advantages(value, batch, 0.95, other),
                         rtol=1e-3, atol=1e-4)
  assert learner.metrics(learner.step(batch, 0, progress=progress))["advantages/gamma"] == pytest.approx(gamma)


def test_a_constant_gamma_ignores_the_progress_and_logs_no_gamma():
  for config in (TRPOConfig(gamma=0.9), TRPOConfig(gamma=0.9, gamma_final=0.9)):
    assert not config.gamma_scheduled and not config.needs_progress
    learner, _, value = make_learner(config=config)
    batch = random_batch()
    learner.set_progress(0.8)
    np.testing.assert_allclose(learner.targets(batch).advantages.numpy(),
                               _reference_advantages(value, batch, 0.95, 0.9), rtol=1e-5, atol=1e-6)
    assert "advantages/gamma" not in learner.metrics(learner.step(batch, 0))


@pytest.mark.parametrize("bad", [1.5, 0.0, -0.5, float("nan")])
def test_the_final_gamma_must_be_in_the_half_open_unit_interval_or_minus_one(bad):
  with pytest.raises(ConfigError, match="gamma_final must be (in|a finite)"):
    TRPOConfig(gamma_final=bad)


def test_the_native_loop_moves_gamma_over_total_steps_and_vine_refuses_it(tmp_path):
  """CartPole, 512 steps, γ 0.9 → 0.99: each update's γ in progress.csv is the schedule's at the env steps done
  before its batch; the vine preset with a γ schedule is a ConfigError (the train launcher's error line is in
  test_bad_input.py)."""
  from trpo_tf.presets import preset
  gammas, done_before = _logged_schedule(tmp_path / "run", "advantages/gamma", gamma=0.9, gamma_final=0.99)
  np.testing.assert_allclose(gammas, [0.9 + 0.09 * d / 512 for d in done_before], rtol=1e-6)
  with pytest.raises(ConfigError, match="vine's branch returns use a constant gamma"):
    preset("cartpole_vine").override(gamma_final=0.999)


def test_the_tf_agents_agent_moves_gamma_over_total_train_iterations():
  gammas = _agent_schedule(lambda learner: float(learner._gamma.numpy()), discount_factor=0.9,
                           discount_factor_final=0.99)
  np.testing.assert_allclose(gammas, [0.9, 0.9225, 0.945, 0.9675], rtol=1e-6)
