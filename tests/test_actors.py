"""The numpy acting mirror computes the same distribution as the Keras policy."""

import gymnasium as gym
import numpy as np
import tensorflow as tf

from trpo_tf.config import NetworkConfig
from trpo_tf.networks import build_networks
from trpo_tf.sampling.actors import NumpyMLPActor, TFActor

OBS = gym.spaces.Box(-5, 5, (6,), np.float32)


def _policy(action_space, activation="tanh"):
  policy, _ = build_networks(OBS, action_space, NetworkConfig(activation=activation))
  for v in policy.trainable_variables:
    v.assign(tf.random.normal(v.shape, stddev=0.3, seed=1))
  policy.normalizer.update(np.random.default_rng(0).normal(2.0, 3.0, (500, 6)))
  return policy


def test_gaussian_mirror_matches_keras():
  for activation in ("tanh", "relu", "elu"):
    policy = _policy(gym.spaces.Box(-1, 1, (3,), np.float32), activation)
    obs = np.random.default_rng(1).normal(0, 4, (64, 6)).astype(np.float32)
    actor = NumpyMLPActor(policy, seed=0)
    np.testing.assert_allclose(actor.params(obs), policy.dist_params(obs)[0].numpy(), rtol=1e-4, atol=1e-5)


def test_state_dependent_std_mirror_matches_keras_and_samples_with_each_states_sigma():
  policy, _ = build_networks(OBS, gym.spaces.Box(-1, 1, (2,), np.float32),
                             NetworkConfig(state_dependent_std=True, log_std_init=-0.5))
  obs = np.random.default_rng(1).normal(0, 4, (64, 6)).astype(np.float32)
  np.testing.assert_allclose(policy.dist_params(obs)[1].numpy(), -0.5, atol=0.05)   # starts at log_std_init
  for v in policy.trainable_variables:
    v.assign(tf.random.normal(v.shape, stddev=0.3, seed=1))
  mean, log_std = (p.numpy() for p in policy.dist_params(obs))
  assert log_std.max() == 2.0 and np.ptp(log_std) > 1.0          # clipped above, varies from state to state
  actor = NumpyMLPActor(policy, seed=0)
  assert policy.log_std is None and actor.snapshot.log_std is None
  mirror_mean, mirror_log_std = actor.dist_params(obs)
  np.testing.assert_allclose(mirror_mean, mean, rtol=1e-4, atol=1e-5)
  np.testing.assert_allclose(mirror_log_std, log_std, rtol=1e-4, atol=1e-5)
  low = int(np.argmin(log_std.sum(axis=1)))                     # a state with small σ: its own σ, not a shared one
  actor.start_batch(0)
  draws = actor(np.tile(obs[low:low + 1], (20000, 1)))
  np.testing.assert_allclose(draws.std(axis=0), np.exp(log_std[low]), rtol=0.03)
  np.testing.assert_allclose(draws.mean(axis=0), mean[low], atol=0.03 * np.exp(log_std[low]).max())


def test_categorical_mirror_matches_keras_and_samples_the_distribution():
  policy = _policy(gym.spaces.Discrete(3))
  obs = np.tile(np.random.default_rng(2).normal(0, 1, (1, 6)).astype(np.float32), (20000, 1))
  actor = NumpyMLPActor(policy, seed=0)
  logits = policy.dist_params(obs[:1])[0].numpy()[0]
  np.testing.assert_allclose(actor.params(obs[:1])[0], logits, rtol=1e-4, atol=1e-5)
  actor.start_batch(0)
  freq = np.bincount(actor(obs), minlength=3) / len(obs)
  np.testing.assert_allclose(freq, tf.nn.softmax(logits).numpy(), atol=0.015)


def test_sync_picks_up_updated_weights_and_noise_is_seeded():
  policy = _policy(gym.spaces.Box(-1, 1, (2,), np.float32))
  obs = np.zeros((4, 6), np.float32)
  actor = NumpyMLPActor(policy, seed=5)
  actor.start_batch(10)
  first = actor(obs)
  actor.start_batch(10)
  np.testing.assert_array_equal(first, actor(obs))          # same (seed, step) -> same noise
  policy.log_std.assign(policy.log_std - 1.0)
  actor.sync()
  np.testing.assert_allclose(actor.params(obs), policy.dist_params(obs)[0].numpy(), rtol=1e-4, atol=1e-5)


def test_tf_actor_is_seeded():
  policy = _policy(gym.spaces.Box(-1, 1, (2,), np.float32))
  actor = TFActor(policy, (4, 6), seed=3)
  obs = np.ones((4, 6), np.float32)
  actor.start_batch(7)
  a = actor(obs)
  actor.start_batch(7)
  np.testing.assert_array_equal(a, actor(obs))


def test_obs_dims_zeroes_the_other_entries_in_keras_and_in_the_mirror():
  """obs_dims='0:2,4': entries 2, 3 and 5 reach no network, so changing them changes nothing, and the
  policy equals one whose first-layer rows for those entries are zero; the numpy mirror agrees."""
  policy, value = build_networks(OBS, gym.spaces.Box(-1, 1, (3,), np.float32), NetworkConfig(obs_dims="0:2,4"))
  for v in policy.trainable_variables + value.trainable_variables:
    v.assign(tf.random.normal(v.shape, stddev=0.3, seed=1))
  policy.normalizer.update(np.random.default_rng(0).normal(2.0, 3.0, (500, 6)))
  obs = np.random.default_rng(1).normal(0, 4, (64, 6)).astype(np.float32)
  other = obs.copy()
  other[:, [2, 3, 5]] = np.random.default_rng(2).normal(0, 50, (64, 3))
  mean = policy.dist_params(obs)[0].numpy()
  np.testing.assert_array_equal(policy.dist_params(other)[0].numpy(), mean)
  np.testing.assert_array_equal(value(other).numpy(), value(obs).numpy())
  assert np.ptp(policy.dist_params(obs[:, [1, 0, 2, 3, 5, 4]])[0].numpy() - mean) > 0.01   # the kept ones count
  first = policy.trunk.layers[0]
  kernel = first.kernel.numpy()
  z = np.clip((obs - policy.normalizer.mean.numpy()) / np.sqrt(policy.normalizer.var.numpy() + 1e-8), -10, 10)
  by_hand = np.tanh(z[:, [0, 1, 4]] @ kernel[[0, 1, 4]] + first.bias.numpy())
  np.testing.assert_allclose(first(policy.normalizer(obs)).numpy(), by_hand, rtol=1e-5, atol=1e-6)
  actor = NumpyMLPActor(policy, seed=0)
  np.testing.assert_allclose(actor.params(other), mean, rtol=1e-4, atol=1e-5)
