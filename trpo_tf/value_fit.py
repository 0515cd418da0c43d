"""Baseline fitting: minibatch Adam regression of V(s) on the GAE returns,
all epochs in one compiled call (no per-minibatch Python dispatch)."""

from typing import NamedTuple

import keras
import numpy as np
import tensorflow as tf


class ValueFitInfo(NamedTuple):
  loss_before: tf.Tensor   # mean squared error before fitting
  loss_after: tf.Tensor


class ValueFitter:
  """Fits a ValueNetwork in place; its Adam state is checkpointable as `optimizer`."""

  def __init__(self, value_net, learning_rate: float, epochs: int, minibatch: int, seed: int = 0):
    self.value_net, self.epochs, self.minibatch, self.seed = value_net, epochs, minibatch, seed
    self.optimizer = keras.optimizers.Adam(learning_rate=learning_rate)
    self.optimizer.build(value_net.trainable_variables)
    self._fit = None

  def fit(self, obs: np.ndarray, returns: np.ndarray, iteration: int) -> ValueFitInfo:
    obs = tf.convert_to_tensor(obs)   # float32 vectors or uint8 images
    if self._fit is None:  # one trace for any batch size
      self._fit = tf.function(self._fit_impl, input_signature=[
          tf.TensorSpec([None] + obs.shape[1:], obs.dtype), tf.TensorSpec([None], tf.float32),
          tf.TensorSpec([], tf.int32)])
    return self._fit(obs, tf.convert_to_tensor(returns, tf.float32), tf.cast(iteration, tf.int32))

  def _loss(self, obs, returns):
    return tf.reduce_mean(tf.square(self.value_net(obs) - returns))

  def _fit_impl(self, obs, returns, iteration):
    variables = self.value_net.trainable_variables
    n = tf.shape(obs)[0]
    batches = (n + self.minibatch - 1) // self.minibatch
    loss_before = self._loss(obs, returns)
    for epoch in tf.range(self.epochs):
      noise = tf.random.stateless_uniform([n], seed=tf.stack([self.seed + 7919 * epoch, iteration]))
      order = tf.argsort(noise)
      for b in tf.range(batches):
        idx = order[b * self.minibatch: tf.minimum((b + 1) * self.minibatch, n)]
        with tf.GradientTape() as tape:
          loss = self._loss(tf.gather(obs, idx), tf.gather(returns, idx))
        grads = tape.gradient(loss, variables)
        finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(g)) for g in grads])
        if finite:  # a non-finite minibatch never reaches the weights or Adam's moments
          self.optimizer.apply_gradients(zip(grads, variables))
    return ValueFitInfo(loss_before=loss_before, loss_after=self._loss(obs, returns))
