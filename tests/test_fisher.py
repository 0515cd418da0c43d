"""Fisher-vector products against Fisher matrices built by brute force on tiny nets."""

import gymnasium as gym
import numpy as np
import pytest
import tensorflow as tf

from trpo_tf import flat
from trpo_tf.config import FVP_MODES, NetworkConfig
from trpo_tf.fisher import make_fvp, mean_kl, raw_variables
from trpo_tf.networks import build_networks

NET = NetworkConfig(policy_hidden=(5,), value_hidden=(3,), normalize_observations=False)


def tiny_policy(action_space, seed=0, net=NET):
  tf.keras.utils.set_random_seed(seed)
  obs_space = gym.spaces.Box(-1, 1, (3,), np.float32)
  policy, _ = build_networks(obs_space, action_space, net)
  # Move away from the near-zero output init so every parameter block matters.
  for v in policy.trainable_variables:
    v.assign(tf.random.normal(v.shape, stddev=0.5, seed=seed))
  obs = tf.random.stateless_normal([7, 3], seed=[seed, 1])
  return policy, obs


def kl_hessian_double_backward(policy, obs):
  """Explicit Hessian of the mean KL, one column per basis vector, by reverse-over-reverse."""
  variables = raw_variables(policy)
  old = tuple(tf.stop_gradient(p) for p in policy.dist_params(obs))
  n = int(sum(v.shape.num_elements() for v in variables))
  cols = []
  for i in range(n):
    e = tf.one_hot(i, n)
    with tf.GradientTape() as outer:
      with tf.GradientTape() as inner:
        kl = mean_kl(policy, obs, old)
      g = flat.flatten(inner.gradient(kl, variables))
      gv = tf.tensordot(g, e, 1)
    cols.append(flat.flatten(outer.gradient(gv, variables, unconnected_gradients="zero")))
  return np.stack([c.numpy() for c in cols], axis=1)


def categorical_fisher_by_enumeration(policy, obs):
  """F = mean_s Σ_a π(a|s) ∇log π(a|s) ∇log π(a|s)ᵀ, enumerating every action."""
  variables = raw_variables(policy)
  num_actions = policy.dist_params(obs)[0].shape[-1]
  n = int(sum(v.shape.num_elements() for v in variables))
  fisher = np.zeros((n, n))
  for s in range(obs.shape[0]):
    for a in range(num_actions):
      with tf.GradientTape() as tape:
        logp = policy.head.distribution(policy.dist_params(obs[s:s + 1])).log_prob([a])[0]
      score = flat.flatten(tape.gradient(logp, variables)).numpy()
      fisher += float(tf.exp(logp)) * np.outer(score, score)
  return fisher / obs.shape[0]


@pytest.mark.parametrize("state_dependent_std", [False, True])
@pytest.mark.parametrize("mode", FVP_MODES)
def test_gaussian_fvp_equals_explicit_hessian(mode, state_dependent_std):
  net = NetworkConfig(**dict(NET.__dict__, state_dependent_std=state_dependent_std))
  policy, obs = tiny_policy(gym.spaces.Box(-1, 1, (2,), np.float32), net=net)
  if state_dependent_std:   # log σ varies from state to state, inside its clip range
    log_std = policy.dist_params(obs)[1].numpy()
    assert np.ptp(log_std, axis=0).min() > 0.1 and -5 < log_std.min() and log_std.max() < 2
  fisher = kl_hessian_double_backward(policy, obs)
  old = policy.dist_params(obs)
  fvp = make_fvp(policy, obs, old, damping=0.0, mode=mode)
  rng = np.random.default_rng(0)
  for _ in range(3):
    v = rng.standard_normal(fisher.shape[0]).astype(np.float32)
    np.testing.assert_allclose(fvp(tf.constant(v)).numpy(), fisher @ v, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mode", FVP_MODES)
def test_categorical_fvp_equals_enumerated_fisher(mode):
  policy, obs = tiny_policy(gym.spaces.Discrete(4))
  fisher = categorical_fisher_by_enumeration(policy, obs)
  # The enumerated Fisher is also the KL Hessian: cross-check the two references.
  np.testing.assert_allclose(fisher, kl_hessian_double_backward(policy, obs), rtol=1e-4, atol=1e-5)
  fvp = make_fvp(policy, obs, policy.dist_params(obs), damping=0.0, mode=mode)
  v = np.random.default_rng(1).standard_normal(fisher.shape[0]).astype(np.float32)
  np.testing.assert_allclose(fvp(tf.constant(v)).numpy(), fisher @ v, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mode", FVP_MODES)
def test_damping_and_tf_function(mode):
  policy, obs = tiny_policy(gym.spaces.Box(-1, 1, (2,), np.float32), seed=3)
  fisher = kl_hessian_double_backward(policy, obs)
  old = policy.dist_params(obs)
  v = tf.constant(np.random.default_rng(2).standard_normal(fisher.shape[0]).astype(np.float32))
  compiled = tf.function(lambda x: make_fvp(policy, obs, old, damping=0.1, mode=mode)(x))
  np.testing.assert_allclose(compiled(v).numpy(), fisher @ v.numpy() + 0.1 * v.numpy(), rtol=1e-4, atol=1e-5)
