"""Keras policy and value networks.

Policies map observations to the parameters of a TFP action distribution (see
distributions.py); the observation normaliser is the first layer, so a saved
policy carries it. Initialisation follows sb3/OpenAI baselines: orthogonal,
gain √2 for hidden layers, 0.01 for the policy output, 1 for the value output.
"""

import math
from typing import Sequence, Tuple

import gymnasium as gym
import keras
import numpy as np
import tensorflow as tf

from trpo_tf.distributions import CategoricalHead, DiagGaussianHead
from trpo_tf.normalization import ObservationNormalizer


def mlp(hidden: Sequence[int], activation: str, name: str) -> keras.Sequential:
  return keras.Sequential(
      [keras.layers.Dense(h, activation=activation, name=f"{name}_{i}",
                          kernel_initializer=keras.initializers.Orthogonal(math.sqrt(2.0)))
       for i, h in enumerate(hidden)], name=name)


class Policy(keras.Model):
  """Base class: `dist_params(obs)` → tuple of batch-major distribution parameters."""

  head = None

  def __init__(self, normalizer: ObservationNormalizer, hidden, activation, **kwargs):
    super().__init__(**kwargs)
    self.normalizer = normalizer
    self.trunk = mlp(hidden, activation, "policy_trunk")

  def dist_params(self, obs) -> Tuple[tf.Tensor, ...]:
    raise NotImplementedError

  def call(self, obs):
    return self.dist_params(obs)

  def sample(self, obs, seed) -> tf.Tensor:
    """Stochastic actions drawn with a stateless seed (shape [2] int32): reproducible."""
    return self.head.distribution(self.dist_params(obs)).sample(seed=seed)

  def mode(self, obs) -> tf.Tensor:
    """Deterministic actions (Gaussian mean / most likely category)."""
    return self.head.mode(self.dist_params(obs))


class GaussianMLPPolicy(Policy):
  """Diagonal Gaussian with state-independent log σ (paper §7)."""

  head = DiagGaussianHead()

  def __init__(self, normalizer, action_dim: int, hidden=(64, 64), activation="tanh",
               log_std_init: float = 0.0, **kwargs):
    super().__init__(normalizer, hidden, activation, **kwargs)
    self.mean_layer = keras.layers.Dense(
        action_dim, name="mean", kernel_initializer=keras.initializers.Orthogonal(0.01))
    self.log_std = self.add_weight(shape=(action_dim,), name="log_std",
                                   initializer=keras.initializers.Constant(log_std_init))

  def dist_params(self, obs):
    mean = self.mean_layer(self.trunk(self.normalizer(obs)))
    return mean, tf.zeros_like(mean) + tf.cast(self.log_std, mean.dtype)


class CategoricalMLPPolicy(Policy):
  """Softmax policy over a Discrete action space."""

  head = CategoricalHead()

  def __init__(self, normalizer, num_actions: int, hidden=(64, 64), activation="tanh", **kwargs):
    super().__init__(normalizer, hidden, activation, **kwargs)
    self.logits_layer = keras.layers.Dense(
        num_actions, name="logits", kernel_initializer=keras.initializers.Orthogonal(0.01))

  def dist_params(self, obs):
    return (self.logits_layer(self.trunk(self.normalizer(obs))),)


class ValueNetwork(keras.Model):
  """State-value baseline V(s) sharing the policy's observation normaliser."""

  def __init__(self, normalizer, hidden=(64, 64), activation="tanh", **kwargs):
    super().__init__(**kwargs)
    self.normalizer = normalizer
    self.trunk = mlp(hidden, activation, "value_trunk")
    self.out = keras.layers.Dense(1, name="value", kernel_initializer=keras.initializers.Orthogonal(1.0))

  def call(self, obs):
    return tf.squeeze(self.out(self.trunk(self.normalizer(obs))), axis=-1)


def build_networks(observation_space: gym.Space, action_space: gym.Space, net) -> Tuple[Policy, ValueNetwork]:
  """Builds (policy, value) for the spaces; `net` is a NetworkConfig."""
  obs_shape = observation_space.shape
  normalizer = ObservationNormalizer(obs_shape, clip=net.obs_clip, enabled=net.normalize_observations,
                                     name="obs_normalizer")
  if isinstance(action_space, gym.spaces.Box):
    policy = GaussianMLPPolicy(normalizer, int(np.prod(action_space.shape)), net.policy_hidden,
                               net.activation, net.log_std_init, name="policy")
  elif isinstance(action_space, gym.spaces.Discrete):
    policy = CategoricalMLPPolicy(normalizer, int(action_space.n), net.policy_hidden, net.activation,
                                  name="policy")
  else:
    raise ValueError(f"unsupported action space {action_space}: TRPO here needs Box or Discrete")
  value = ValueNetwork(normalizer, net.value_hidden, net.activation, name="value")
  dummy = tf.zeros((1,) + tuple(obs_shape), tf.float32)
  policy(dummy)
  value(dummy)
  return policy, value
