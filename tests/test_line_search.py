"""The line search accepts only finite, KL ≤ δ, improving steps; otherwise θ_old is restored."""

import gymnasium as gym
import numpy as np
import tensorflow as tf

from trpo_tf.config import NetworkConfig, TRPOConfig
from trpo_tf.line_search import backtracking_line_search
from trpo_tf.networks import build_networks
from trpo_tf.trpo_step import STATUS_ACCEPTED, STATUS_NONFINITE, STATUS_ZERO_GRADIENT, TRPOUpdater

OLD = np.array([1.0, -2.0], np.float32)
STEP = np.array([1.0, 1.0], np.float32)


def run(evaluate_fn, max_kl=0.01, backtracks=5, shrink=0.5, accept_ratio=0.0, expected=1.0):
  var = tf.Variable(OLD)
  evaluate = lambda: evaluate_fn(var - OLD)  # function of the displacement
  result = backtracking_line_search([var], evaluate, tf.constant(OLD), tf.constant(STEP), tf.constant(0.0),
                                    tf.constant(expected), max_kl, backtracks, shrink, accept_ratio)
  return result, var.numpy()


def quadratic_kl(d):
  return tf.reduce_sum(d), 0.01 * tf.reduce_sum(d * d)  # gain = Σd, KL = 0.01‖d‖²


def test_accepts_first_step_inside_trust_region():
  # KL of the full step is 0.02 > 0.01; half step 0.005 passes on the 2nd try.
  result, params = run(quadratic_kl)
  assert bool(result.accepted) and int(result.tries) == 2
  np.testing.assert_allclose(params, OLD + 0.5 * STEP)
  assert float(result.step_fraction) == 0.5 and float(result.kl) <= 0.01


def test_rejects_kl_violation_and_restores():
  result, params = run(lambda d: (tf.reduce_sum(d), tf.constant(1.0)))
  assert not bool(result.accepted) and int(result.tries) == 5
  np.testing.assert_array_equal(params, OLD)


def test_rejects_non_improving_steps():
  result, params = run(lambda d: (-tf.reduce_sum(tf.abs(d)), tf.constant(0.0)))
  assert not bool(result.accepted)
  np.testing.assert_array_equal(params, OLD)


def test_rejects_nan_steps():
  result, params = run(lambda d: (tf.constant(np.nan, tf.float32), tf.constant(0.0)))
  assert not bool(result.accepted)
  np.testing.assert_array_equal(params, OLD)
  result, params = run(lambda d: (tf.reduce_sum(d), tf.constant(np.inf, tf.float32)))
  assert not bool(result.accepted)
  np.testing.assert_array_equal(params, OLD)


def test_accept_ratio_requires_fraction_of_expected_gain():
  # Realised gain 0.1·Σd is < 0.5 × the linear prediction 1.0·frac for every fraction.
  result, params = run(lambda d: (0.1 * tf.reduce_sum(d) / 2.0, tf.constant(0.0)), accept_ratio=0.5)
  assert not bool(result.accepted)
  np.testing.assert_array_equal(params, OLD)


def test_line_search_inside_tf_function():
  var = tf.Variable(OLD)

  @tf.function
  def search():
    return backtracking_line_search([var], lambda: quadratic_kl(var - OLD), tf.constant(OLD), tf.constant(STEP),
                                    tf.constant(0.0), tf.constant(1.0), 0.01, 5, 0.5, 0.0)
  assert bool(search().accepted)
  np.testing.assert_allclose(var.numpy(), OLD + 0.5 * STEP)
  var.assign(OLD)

  @tf.function
  def failing():
    return backtracking_line_search([var], lambda: (tf.reduce_sum(var), tf.constant(5.0)), tf.constant(OLD),
                                    tf.constant(STEP), tf.constant(0.0), tf.constant(1.0), 0.01, 3, 0.5, 0.0)
  assert not bool(failing().accepted)
  np.testing.assert_array_equal(var.numpy(), OLD)


def test_trpo_step_never_applies_nonfinite_updates():
  obs_space = gym.spaces.Box(-1, 1, (3,), np.float32)
  policy, _ = build_networks(obs_space, gym.spaces.Box(-1, 1, (2,), np.float32),
                             NetworkConfig(policy_hidden=(8,), value_hidden=(8,)))
  before = [v.numpy().copy() for v in policy.trainable_variables]
  obs = np.random.default_rng(0).standard_normal((32, 3)).astype(np.float32)
  actions = np.zeros((32, 2), np.float32)
  adv = np.ones(32, np.float32)
  adv[3] = np.nan
  info = TRPOUpdater(policy, TRPOConfig(normalize_advantages=False)).update(obs, actions, adv)
  assert int(info.status) == STATUS_NONFINITE
  for b, v in zip(before, policy.trainable_variables):
    np.testing.assert_array_equal(b, v.numpy())


def test_trpo_step_reports_a_zero_gradient_as_such():
  """All-zero advantages: g = 0, so status 3 (zero gradient), not 2 (non-finite), and nothing moves."""
  obs_space = gym.spaces.Box(-1, 1, (3,), np.float32)
  policy, _ = build_networks(obs_space, gym.spaces.Box(-1, 1, (2,), np.float32),
                             NetworkConfig(policy_hidden=(8,), value_hidden=(8,)))
  before = [v.numpy().copy() for v in policy.trainable_variables]
  obs = np.random.default_rng(0).standard_normal((32, 3)).astype(np.float32)
  actions = np.random.default_rng(1).standard_normal((32, 2)).astype(np.float32)
  updater = TRPOUpdater(policy, TRPOConfig(normalize_advantages=False))
  info = updater.update(obs, actions, np.zeros(32, np.float32))
  assert int(info.status) == STATUS_ZERO_GRADIENT and float(info.gradient_norm) == 0.0
  for b, v in zip(before, policy.trainable_variables):
    np.testing.assert_array_equal(b, v.numpy())
  # The same batch with real advantages is accepted (the status is not stuck at 3).
  info = updater.update(obs, actions, np.random.default_rng(2).standard_normal(32).astype(np.float32))
  assert int(info.status) == STATUS_ACCEPTED


def test_value_fit_and_normaliser_skip_nonfinite_data():
  from trpo_tf.value_fit import ValueFitter
  obs_space = gym.spaces.Box(-1, 1, (3,), np.float32)
  policy, value = build_networks(obs_space, gym.spaces.Discrete(2), NetworkConfig(value_hidden=(8,)))
  obs = np.random.default_rng(0).standard_normal((64, 3)).astype(np.float32)
  returns = np.full(64, np.nan, np.float32)
  before = [v.numpy().copy() for v in value.trainable_variables]
  fitter = ValueFitter(value, 1e-2, epochs=2, minibatch=16)
  fitter.fit(obs, returns, 0)
  for b, v in zip(before, value.trainable_variables):
    np.testing.assert_array_equal(b, v.numpy())
  assert all(np.all(np.isfinite(np.asarray(v))) for v in fitter.optimizer.variables)
  bad = obs.copy()
  bad[5, 1] = np.inf
  policy.normalizer.update(bad)
  np.testing.assert_allclose(np.asarray(policy.normalizer.mean), np.delete(obs, 5, axis=0).mean(0), rtol=1e-6)
  assert float(np.asarray(policy.normalizer.count)) == 63
