"""Actors: how the sampler turns observations into actions.

A TF call costs ~200-450 µs here, a 16-env Hopper step ~1.9 ms, so acting
through TF alone would cost 10-25% of sampling. `NumpyMLPActor` mirrors an MLP
policy in numpy (weights pulled once per iteration, after the update) and
samples with a seeded numpy Generator; `TFActor` calls the Keras policy
(any architecture). Both reseed at the start of every batch from
(seed, vector_step), so a resumed run draws the same noise stream as the
original would have from that point. The update recomputes π_old's log-probs in
TF from the stored observations, so the mirror's float differences never bias it.
"""

import keras
import numpy as np
import tensorflow as tf

from trpo_tf.networks import LOG_STD_RANGE, CategoricalMLPPolicy, GaussianMLPPolicy
from trpo_tf.sampling.numpy_policy import ACTIVATIONS, NumpySampler, PolicySnapshot, dist_inputs, dist_outputs



class TFActor:
  """Calls the Keras policy through one concrete function per vector step."""

  def __init__(self, policy, batch_shape, seed: int, obs_dtype=tf.float32):
    self._seed = seed
    self._step = 0
    self._sample = tf.function(policy.sample).get_concrete_function(
        tf.TensorSpec(batch_shape, obs_dtype), tf.TensorSpec([2], tf.int32))
    self._policy, self._params_spec = policy, tf.TensorSpec((None,) + tuple(batch_shape[1:]), obs_dtype)
    self._params = None      # traced on first use: only vine sampling needs it

  def sync(self) -> None:
    """Nothing to copy: the concrete function reads the live variables."""

  def start_batch(self, vector_step: int) -> None:
    self._step = vector_step

  def dist_params(self, obs: np.ndarray):
    """The distribution parameters (numpy) for any batch of observations."""
    if self._params is None:
      self._params = tf.function(self._policy.dist_params).get_concrete_function(self._params_spec)
    return tuple(p.numpy() for p in self._params(tf.constant(obs)))

  def __call__(self, obs: np.ndarray) -> np.ndarray:
    seed = tf.constant([self._seed % (2 ** 31), self._step % (2 ** 31)], tf.int32)
    self._step += 1
    return self._sample(tf.constant(obs), seed).numpy()


class NumpyMLPActor:
  """A numpy mirror of a Gaussian/categorical MLP policy, for sampling only (numpy_policy.py)."""

  def __init__(self, policy, seed: int, row_invariant: bool = False):
    if not supports_numpy(policy):
      raise ValueError("NumpyMLPActor needs an MLP policy with tanh/relu/elu activations")
    self.policy = policy
    self._sampler = NumpySampler(seed, row_invariant=row_invariant)   # row_invariant: numpy_policy.py
    self.sync()

  def sync(self) -> None:
    """Copies the policy's current weights and normaliser statistics."""
    self._sampler.set_snapshot(policy_snapshot(self.policy))

  @property
  def snapshot(self) -> PolicySnapshot:
    return self._sampler.snapshot

  def start_batch(self, vector_step: int) -> None:
    self._sampler.start_batch(vector_step)

  def params(self, obs: np.ndarray) -> np.ndarray:
    """Gaussian mean or logits for a batch of raw observations."""
    return dist_inputs(self.snapshot, obs)

  def dist_params(self, obs: np.ndarray):
    """(mean, log_std) per row, or (logits,): the Keras policy's dist_params in numpy."""
    out, log_std = dist_outputs(self.snapshot, obs)
    return (out,) if log_std is None else (out, log_std)

  def __call__(self, obs: np.ndarray) -> np.ndarray:
    return self._sampler(obs)


def policy_snapshot(policy) -> PolicySnapshot:
  """The weights and normaliser statistics of an MLP policy as numpy arrays."""
  norm = policy.normalizer
  normalizer = None
  if norm.enabled:
    normalizer = (np.asarray(norm.mean, np.float32),
                  np.sqrt(np.asarray(norm.var, np.float32) + norm.epsilon).astype(np.float32),
                  np.float32(norm.clip))
  gaussian = isinstance(policy, GaussianMLPPolicy)
  out = policy.mean_layer if gaussian else policy.logits_layer
  std_layer = policy.log_std_layer if gaussian else None
  return PolicySnapshot(activation=policy.trunk.layers[0].activation.__name__,
                        layers=[(np.asarray(layer.kernel), np.asarray(layer.bias)) for layer in policy.trunk.layers],
                        out=(np.asarray(out.kernel), np.asarray(out.bias)),
                        log_std=np.asarray(policy.log_std) if gaussian and std_layer is None else None,
                        normalizer=normalizer, keep=norm.keep,
                        log_std_layer=None if std_layer is None else
                        (np.asarray(std_layer.kernel), np.asarray(std_layer.bias), LOG_STD_RANGE))


def supports_numpy(policy) -> bool:
  """True for policies whose trunk is Dense layers with tanh/relu/elu (not CNNs)."""
  if not isinstance(policy, (GaussianMLPPolicy, CategoricalMLPPolicy)):
    return False
  return all(isinstance(layer, keras.layers.Dense) and layer.activation.__name__ in ACTIVATIONS
             for layer in policy.trunk.layers)


def make_actor(policy, backend: str, batch_shape, seed: int, obs_dtype=tf.float32):
  """`backend` is "numpy" (MLP policies; falls back to TF otherwise) or "tf"."""
  if backend == "numpy" and supports_numpy(policy):
    return NumpyMLPActor(policy, seed)
  return TFActor(policy, batch_shape, seed, obs_dtype)
