"""Vine sampling (paper §5.2): surrogates against hand computation, common random numbers,
bookkeeping, the compiled vine step, and a small learning run."""

import gymnasium as gym
import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import train_run
from trpo_tf.config import NetworkConfig, SamplerConfig, TRPOConfig
from trpo_tf.distributions import CategoricalHead, DiagGaussianHead
from trpo_tf.networks import build_networks
from trpo_tf.normalization import RewardScaler
from trpo_tf.presets import preset
from trpo_tf.sampling.envs import make_training_env, make_vector_env
from trpo_tf.sampling.vine import VineSampler
from trpo_tf.surrogates import vine_surrogate
from trpo_tf.trpo_step import STATUS_ACCEPTED, TRPOUpdater


class _TablePolicy:
  """Distribution parameters are free variables per state: gradients are easy to write by hand."""

  def __init__(self, head, *params):
    self.head = head
    self.vars = [tf.Variable(p) for p in params]

  def dist_params(self, states):
    return tuple(tf.convert_to_tensor(v) for v in self.vars)


def test_discrete_vine_surrogate_and_gradient_match_hand_computation():
  logits = np.array([[0.2, -0.4, 1.0], [0.0, 0.5, -0.5]], np.float32)       # N = 2 states, 3 actions
  actions = np.array([[0, 1], [1, 2], [2, 0]], np.int32)                    # [K=3, N]: all actions
  q = np.array([[1.0, -2.0], [3.0, 0.5], [-1.0, 4.0]], np.float32)
  policy = _TablePolicy(CategoricalHead(), logits)
  with tf.GradientTape() as tape:
    value = vine_surrogate(policy, None, actions, q, tf.zeros_like(q))
  grad = tape.gradient(value, policy.vars[0]).numpy()
  p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
  expected, expected_grad = 0.0, np.zeros_like(logits)
  for n in range(2):
    for k in range(3):
      a = actions[k, n]
      expected += p[n, a] * q[k, n] / 2                                     # mean over states
      expected_grad[n] += q[k, n] / 2 * p[n, a] * (np.eye(3)[a] - p[n])   # ∂π(a)/∂z = π(a)(e_a − π)
  np.testing.assert_allclose(float(value), expected, rtol=1e-6)
  np.testing.assert_allclose(grad, expected_grad, rtol=1e-5, atol=1e-7)


def test_continuous_vine_surrogate_is_self_normalised_importance_sampling():
  old_mean = np.array([[0.0, 1.0]], np.float32)                             # N = 1 state, 2-d actions
  old_log_std = np.array([[0.0, np.log(0.5)]], np.float32)
  actions = np.array([[[0.5, 1.0]], [[-1.0, 1.5]], [[0.2, 0.4]]], np.float32)   # [K=3, N=1, 2]
  q = np.array([[2.0], [-1.0], [0.5]], np.float32)

  def log_prob(mean, log_std):
    z = (actions[:, 0] - mean[0]) / np.exp(log_std[0])
    return (-0.5 * z ** 2 - log_std[0] - 0.5 * np.log(2 * np.pi)).sum(-1)

  old_lp = log_prob(old_mean, old_log_std)[:, None].astype(np.float32)
  new_mean = old_mean + np.array([[0.3, -0.2]], np.float32)
  policy = _TablePolicy(DiagGaussianHead(), new_mean, old_log_std)
  with tf.GradientTape() as tape:
    value = vine_surrogate(policy, None, actions, q, old_lp)
  r = np.exp(log_prob(new_mean, old_log_std) - old_lp[:, 0])
  np.testing.assert_allclose(float(value), (r * q[:, 0]).sum() / r.sum(), rtol=1e-5)
  # Shifting Q by a constant changes nothing (no baseline needed).
  np.testing.assert_allclose(float(vine_surrogate(policy, None, actions, q + 7.0, old_lp)),
                             (r * q[:, 0]).sum() / r.sum() + 7.0, rtol=1e-5)
  # At θ = θ_old: ∂L/∂μ = (1/K) Σ_k (Q_k − Q̄)(a_k − μ)/σ².
  policy = _TablePolicy(DiagGaussianHead(), old_mean, old_log_std)
  with tf.GradientTape() as tape:
    value = vine_surrogate(policy, None, actions, q, old_lp)
  grad = tape.gradient(value, policy.vars[0]).numpy()
  sigma2 = np.exp(2 * old_log_std[0])
  expected = ((q[:, 0] - q[:, 0].mean())[:, None] * (actions[:, 0] - old_mean[0]) / sigma2).mean(0)
  np.testing.assert_allclose(grad[0], expected, rtol=1e-5)


class _ZeroActor:
  """π_old with fixed parameters (mean 0 / uniform logits), and its own noise for the trunk."""

  def __init__(self, action_space, log_std=-0.5):
    self.space, self.log_std, self.rng = action_space, log_std, np.random.default_rng(0)

  def start_batch(self, vector_step):
    self.rng = np.random.default_rng(vector_step)

  def dist_params(self, obs):
    b = len(obs)
    if isinstance(self.space, gym.spaces.Discrete):
      return (np.zeros((b, self.space.n), np.float32),)
    shape = (b,) + self.space.shape
    return np.zeros(shape, np.float32), np.full(shape, self.log_std, np.float32)

  def __call__(self, obs):
    params = self.dist_params(obs)
    if len(params) == 1:
      return self.rng.integers(0, self.space.n, len(obs)).astype(np.int32)
    return (params[0] + np.exp(params[1]) * self.rng.standard_normal(params[0].shape)).astype(np.float32)


def _vine_sampler(env_id, **overrides):
  settings = dict(env_id=env_id, sampler="vine", num_envs=2, steps_per_env=8, vine_states=4,
                  vine_actions=3, vine_rollout_length=20)
  config = SamplerConfig(**dict(settings, **overrides))
  env = make_vector_env(env_id, config.num_envs)
  sampler = VineSampler(env, RewardScaler(config.num_envs, 0.99), lambda: make_training_env(env_id),
                        config, gamma=0.99, seed=0)
  sampler.reset(0)
  return sampler, env, config


@pytest.mark.parametrize("env_id", ["Hopper-v5", "ALE/Breakout-v5"])
def test_branches_of_one_state_share_random_numbers(env_id, monkeypatch):
  """Identical first actions → identical branches: the policy noise and the simulator's RNG
  (ALE sticky actions) are common across the K branches of a state."""
  sampler, env, config = _vine_sampler(env_id)
  actor = _ZeroActor(env.single_action_space)
  original = VineSampler._first_actions
  monkeypatch.setattr(VineSampler, "_first_actions",
                      lambda self, params, m, rng: np.repeat(original(self, params, m, rng)[:1], 3, axis=0))
  batch = sampler.collect(actor, config.steps_per_env).vine
  assert batch.partial_q.shape == (3, 4)
  for k in range(1, 3):
    np.testing.assert_array_equal(batch.partial_q[k], batch.partial_q[0])
    np.testing.assert_array_equal(batch.bootstrap_obs[k], batch.bootstrap_obs[0])
    np.testing.assert_array_equal(batch.bootstrap_discount[k], batch.bootstrap_discount[0])
  cut = batch.bootstrap_obs[0].reshape(4, -1)
  assert len({row.tobytes() for row in cut}) == 4     # different states do differ
  monkeypatch.setattr(VineSampler, "_first_actions", original)
  batch = sampler.collect(actor, config.steps_per_env).vine
  distinct = [len({batch.bootstrap_obs[k, n].tobytes() + batch.partial_q[k, n].tobytes() for k in range(3)})
              for n in range(4)]                   # different first actions → different branches
  # Continuous actions always differ; in Breakout NOOP/FIRE/a move into the wall can coincide.
  assert distinct == [3] * 4 if env_id == "Hopper-v5" else max(distinct) >= 2, distinct
  sampler.close()


def test_vine_batch_bookkeeping():
  sampler, env, config = _vine_sampler("Hopper-v5", vine_rollout_length=5)
  batch = sampler.collect(_ZeroActor(env.single_action_space), config.steps_per_env)
  vine = batch.vine
  k, n = vine.partial_q.shape
  assert (k, n) == (3, 4) and vine.actions.shape == (3, 4, 3) and vine.states.shape == (4, 11)
  # Rollout-set states are trunk observations.
  trunk_obs = batch.obs.reshape(-1, 11)
  assert all(any(np.array_equal(s, o) for o in trunk_obs) for s in vine.states)
  assert vine.branch_steps <= k * n * 5 and vine.branch_steps >= k * n
  assert batch.num_transitions == int(batch.valid.sum()) + vine.branch_steps
  # Branches cut by H are bootstrapped with γ^H; Hopper's cut branches all ran the full H here.
  cut = vine.bootstrap_discount > 0
  np.testing.assert_allclose(vine.bootstrap_discount[cut], 0.99 ** 5)
  sampler.close()


def test_discrete_vine_enumerates_all_actions_when_k_covers_them():
  sampler, env, config = _vine_sampler("CartPole-v1", vine_actions=4)
  assert sampler.num_branches == 2
  batch = sampler.collect(_ZeroActor(env.single_action_space), config.steps_per_env).vine
  np.testing.assert_array_equal(batch.actions, np.repeat([[0], [1]], batch.actions.shape[1], axis=1))
  sampler.close()


def test_compiled_vine_step_keeps_the_trust_region():
  obs_space = gym.spaces.Box(-1, 1, (3,), np.float32)
  policy, _ = build_networks(obs_space, gym.spaces.Box(-1, 1, (2,), np.float32),
                             NetworkConfig(policy_hidden=(16,)))
  rng = np.random.default_rng(0)
  states = rng.standard_normal((64, 3)).astype(np.float32)
  actions = rng.standard_normal((4, 64, 2)).astype(np.float32)
  q = (actions[..., 0] - actions[..., 1]).astype(np.float32)    # prefers a₀ > a₁
  updater = TRPOUpdater(policy, TRPOConfig(max_kl=0.01))
  info = updater.update_vine(states, actions, q)
  assert int(info.status) == STATUS_ACCEPTED
  assert 0 < float(info.mean_kl) <= 0.01 and float(info.improvement) > 0
  mean = policy.dist_params(states)[0].numpy()
  assert np.mean(mean[:, 0] - mean[:, 1]) > 0


def test_vine_training_solves_cartpole(tmp_path):
  config = preset("cartpole_vine").override(seed=0, eval_episodes=10)   # 100k steps
  _, result = train_run(config, tmp_path / "run")
  assert result.env_steps >= 100_000
  assert result.evaluation.mean_return >= 195.0, result.evaluation   # a random policy scores ~22
