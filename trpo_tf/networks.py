"""Keras policy and value networks.

Policies map observations to the parameters of a TFP action distribution (see
distributions.py) through a trunk: an MLP for vector observations, behind the
observation normaliser (so a saved policy carries it), or a CNN for uint8
image stacks (scaled by 1/255 inside the network). Initialisation follows
sb3/OpenAI baselines: orthogonal, gain √2 for hidden layers, 0.01 for the
policy output, 1 for the value output.

CNNs: "paper" is the TRPO paper's Atari network (§7: two conv layers of 16
channels, stride 2, then 20 hidden units; 4×4 kernels, ReLU here); "nature" is
the DQN network (Mnih et al. 2015: 32×8×8/4, 64×4×4/2, 64×3×3/1, 512 units).
"""

import math
from typing import Sequence, Tuple

import gymnasium as gym
import keras
import numpy as np
import tensorflow as tf

from trpo_tf.config import obs_dims_mask
from trpo_tf.distributions import CategoricalHead, DiagGaussianHead
from trpo_tf.normalization import ObservationNormalizer


def mlp(hidden: Sequence[int], activation: str, name: str) -> keras.Sequential:
  return keras.Sequential(
      [keras.layers.Dense(h, activation=activation, name=f"{name}_{i}",
                          kernel_initializer=keras.initializers.Orthogonal(math.sqrt(2.0)))
       for i, h in enumerate(hidden)], name=name)


CNN_LAYERS = {
    "paper": ([(16, 4, 2), (16, 4, 2)], 20),
    "nature": ([(32, 8, 4), (64, 4, 2), (64, 3, 1)], 512),
}


class ImageScaling(keras.layers.Layer):
  """uint8 [batch, stack, H, W] → float32 [batch, H, W, stack] in [0, 1]."""

  def call(self, x):
    return tf.transpose(tf.cast(x, tf.float32) / 255.0, [0, 2, 3, 1])


def cnn(kind: str, name: str) -> keras.Sequential:
  convs, units = CNN_LAYERS[kind]
  gain = keras.initializers.Orthogonal(math.sqrt(2.0))
  layers = [ImageScaling(name=f"{name}_scale")]
  layers += [keras.layers.Conv2D(c, k, strides=st, activation="relu", kernel_initializer=gain,
                                 name=f"{name}_conv{i}") for i, (c, k, st) in enumerate(convs)]
  layers += [keras.layers.Flatten(name=f"{name}_flatten"),
             keras.layers.Dense(units, activation="relu", kernel_initializer=gain, name=f"{name}_fc")]
  return keras.Sequential(layers, name=name)


class Policy(keras.Model):
  """Base class: `dist_params(obs)` → tuple of batch-major distribution parameters."""

  head = None

  def __init__(self, normalizer: ObservationNormalizer, trunk: keras.Model, **kwargs):
    super().__init__(**kwargs)
    self.normalizer = normalizer
    self.trunk = trunk

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


# A state-dependent log σ is clipped to this range [here]: σ in [0.0067, 7.4], so the KL and the
# Fisher's 1/σ² stay finite however far the layer's output drifts.
LOG_STD_RANGE = (-5.0, 2.0)


class GaussianMLPPolicy(Policy):
  """Diagonal Gaussian on any trunk. log σ is one learned vector (state-independent, paper §7), or with
  `state_dependent_std` a linear layer on the trunk's features clipped to LOG_STD_RANGE (then `log_std`
  is None and `log_std_layer` holds it); both start at log_std_init."""

  head = DiagGaussianHead()

  def __init__(self, normalizer, trunk, action_dim: int, log_std_init: float = 0.0,
               state_dependent_std: bool = False, **kwargs):
    super().__init__(normalizer, trunk, **kwargs)
    self.mean_layer = keras.layers.Dense(
        action_dim, name="mean", kernel_initializer=keras.initializers.Orthogonal(0.01))
    self.log_std, self.log_std_layer = None, None
    if state_dependent_std:
      self.log_std_layer = keras.layers.Dense(
          action_dim, name="log_std", kernel_initializer=keras.initializers.Orthogonal(0.01),
          bias_initializer=keras.initializers.Constant(log_std_init))
    else:
      self.log_std = self.add_weight(shape=(action_dim,), name="log_std",
                                     initializer=keras.initializers.Constant(log_std_init))

  def dist_params(self, obs):
    features = self.trunk(self.normalizer(obs))
    mean = self.mean_layer(features)
    if self.log_std_layer is not None:
      return mean, tf.clip_by_value(self.log_std_layer(features), *LOG_STD_RANGE)
    return mean, tf.zeros_like(mean) + tf.cast(self.log_std, mean.dtype)


class CategoricalMLPPolicy(Policy):
  """Softmax policy over a Discrete action space, on any trunk (MLP or CNN)."""

  head = CategoricalHead()

  def __init__(self, normalizer, trunk, num_actions: int, **kwargs):
    super().__init__(normalizer, trunk, **kwargs)
    self.logits_layer = keras.layers.Dense(
        num_actions, name="logits", kernel_initializer=keras.initializers.Orthogonal(0.01))

  def dist_params(self, obs):
    return (self.logits_layer(self.trunk(self.normalizer(obs))),)


class ValueNetwork(keras.Model):
  """State-value baseline V(s) sharing the policy's observation normaliser."""

  def __init__(self, normalizer, trunk: keras.Model, **kwargs):
    super().__init__(**kwargs)
    self.normalizer = normalizer
    self.trunk = trunk
    self.out = keras.layers.Dense(1, name="value", kernel_initializer=keras.initializers.Orthogonal(1.0))

  def call(self, obs):
    return tf.squeeze(self.out(self.trunk(self.normalizer(obs))), axis=-1)


def action_dims(action_space: gym.Space) -> int:
  """d: the independent components of one action, a Box's entries (the Gaussian policy's width) or 1 for a
  Discrete action; the heads' action_dims read the same d off the distribution parameters."""
  return int(np.prod(action_space.shape)) if isinstance(action_space, gym.spaces.Box) else 1


def build_networks(observation_space: gym.Space, action_space: gym.Space, net) -> Tuple[Policy, ValueNetwork]:
  """Builds (policy, value) for the spaces; `net` is a NetworkConfig."""
  obs_shape = observation_space.shape
  images = observation_space.dtype == np.uint8 and len(obs_shape) == 3
  # Images are scaled by the CNN itself; the normaliser then only passes them through.
  normalizer = ObservationNormalizer(obs_shape, clip=net.obs_clip, name="obs_normalizer",
                                     keep=obs_dims_mask(net.obs_dims, obs_shape),
                                     enabled=net.normalize_observations and not images)
  if images:
    policy_trunk, value_trunk = cnn(net.cnn, "policy_trunk"), cnn(net.cnn, "value_trunk")
  else:
    policy_trunk = mlp(net.policy_hidden, net.activation, "policy_trunk")
    value_trunk = mlp(net.value_hidden, net.activation, "value_trunk")
  if isinstance(action_space, gym.spaces.Box):
    policy = GaussianMLPPolicy(normalizer, policy_trunk, action_dims(action_space), net.log_std_init,
                               net.state_dependent_std,
                               name="policy")
  elif isinstance(action_space, gym.spaces.Discrete):
    policy = CategoricalMLPPolicy(normalizer, policy_trunk, int(action_space.n), name="policy")
  else:
    raise ValueError(f"unsupported action space {action_space}: TRPO here needs Box or Discrete")
  value = ValueNetwork(normalizer, value_trunk, name="value")
  dummy = tf.zeros((1,) + tuple(obs_shape), tf.uint8 if images else tf.float32)
  policy(dummy)
  value(dummy)
  return policy, value
