"""Running normalisers. The observation normaliser is a Keras layer inside the
policy (and value) network, so a saved or exported policy carries its statistics."""

import json

import keras
import numpy as np
import tensorflow as tf


def merge_moments(mean, var, count, batch_mean, batch_var, batch_count):
  """Combines running (mean, var, count) with a batch's moments (Chan et al., 1979)."""
  total = count + batch_count
  delta = batch_mean - mean
  new_mean = mean + delta * batch_count / total
  m2 = var * count + batch_var * batch_count + delta ** 2 * count * batch_count / total
  return new_mean, m2 / total, total


class ObservationNormalizer(keras.layers.Layer):
  """clip((x − μ) / sqrt(σ² + ε), ±clip); statistics are frozen between `update` calls.

  `keep` (one 0/1 per entry; None keeps all) zeroes the entries the networks must not read, after
  normalising (or instead of it, when disabled): a Dense layer on a zeroed entry behaves as if it were absent.
  """

  def __init__(self, shape, clip: float = 10.0, epsilon: float = 1e-8, enabled: bool = True, keep=None, **kwargs):
    super().__init__(**kwargs)
    self.clip, self.epsilon, self.enabled = float(clip), float(epsilon), bool(enabled)
    self.keep = None if keep is None or len(keep) == 0 else np.asarray(keep, np.float32).reshape(tuple(shape))
    self.mean = self.add_weight(shape=tuple(shape), initializer="zeros", trainable=False,
                                dtype="float64", name="mean")
    self.var = self.add_weight(shape=tuple(shape), initializer="ones", trainable=False,
                               dtype="float64", name="var")
    self.count = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                 dtype="float64", name="count")

  def call(self, x):
    x = tf.cast(x, tf.float32)
    if self.enabled:
      mean = tf.cast(self.mean, tf.float32)
      std = tf.sqrt(tf.cast(self.var, tf.float32) + self.epsilon)
      x = tf.clip_by_value((x - mean) / std, -self.clip, self.clip)
    return x if self.keep is None else x * self.keep

  def update(self, batch) -> None:
    """Folds a batch [n, *shape] of raw observations into the statistics.

    TensorFlow ops (float64), so it runs eagerly or inside a compiled train step.
    Rows with a non-finite value are skipped; an empty batch changes nothing.
    """
    if not self.enabled:
      return
    x = tf.cast(batch, tf.float64)
    flat = tf.reshape(x, [-1, int(np.prod(self.mean.shape))])
    x = tf.boolean_mask(x, tf.reduce_all(tf.math.is_finite(flat), axis=1))
    n = tf.cast(tf.shape(x)[0], tf.float64)
    old = (tf.convert_to_tensor(self.mean), tf.convert_to_tensor(self.var), tf.convert_to_tensor(self.count))
    mean, var, count = tf.cond(
        n > 0,
        lambda: merge_moments(*old, tf.reduce_mean(x, axis=0), tf.math.reduce_variance(x, axis=0), n),
        lambda: old)
    self.mean.assign(mean)
    self.var.assign(var)
    self.count.assign(count)


class RewardScaler(tf.train.experimental.PythonState):
  """Divides rewards by the running std of the discounted return (as VecNormalize does).

  Keeps value targets on a stable scale across tasks. Statistics live in numpy
  (this runs once per vector step) and are checkpointed as Python state; the
  per-env return accumulators restart at 0 with every reset and on resume.
  """

  def __init__(self, num_envs: int, gamma: float, clip: float = 10.0, enabled: bool = True):
    self.gamma, self.clip, self.enabled = gamma, clip, enabled
    self.mean, self.var, self.count = 0.0, 1.0, 0.0
    self._returns = np.zeros(num_envs)

  def scale(self, rewards: np.ndarray, dones: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Updates the statistics with one vector step and returns the scaled rewards."""
    if not self.enabled:
      return rewards
    self._returns = np.where(valid, self._returns * self.gamma + rewards, 0.0)
    r = self._returns[valid]
    if len(r):
      self.mean, self.var, self.count = merge_moments(
          self.mean, self.var, self.count, r.mean(), r.var(), float(len(r)))
    self._returns = np.where(dones, 0.0, self._returns)
    return np.clip(rewards / np.sqrt(self.var + 1e-8), -self.clip, self.clip)

  def restart(self, rows: slice) -> None:
    """The envs of `rows` start new episodes (a replaced Ray worker's): their discounted returns restart."""
    self._returns[rows] = 0.0

  def scale_frozen(self, rewards: np.ndarray) -> np.ndarray:
    """Scales like `scale` without touching the statistics (vine branches re-visit trunk states)."""
    if not self.enabled:
      return rewards
    return np.clip(rewards / np.sqrt(self.var + 1e-8), -self.clip, self.clip)

  def serialize(self) -> str:
    return json.dumps({"mean": self.mean, "var": self.var, "count": self.count})

  def deserialize(self, string_value) -> None:
    state = json.loads(string_value)
    self.mean, self.var, self.count = state["mean"], state["var"], state["count"]
    self._returns[:] = 0.0
