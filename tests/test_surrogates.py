"""The single-path surrogate (paper eq. 14) and its optional entropy bonus, by hand."""

import numpy as np
import tensorflow as tf

from trpo_tf.distributions import DiagGaussianHead
from trpo_tf.surrogates import single_path_surrogate


class _Free:
  head = DiagGaussianHead()

  def __init__(self, mean, log_std):
    self.mean, self.log_std = tf.Variable(mean), tf.Variable(log_std)

  def dist_params(self, obs):
    return tf.convert_to_tensor(self.mean), tf.convert_to_tensor(self.log_std)


def test_single_path_surrogate_and_entropy_bonus():
  mean = np.array([[0.0, 1.0], [0.5, -0.5]], np.float32)
  log_std = np.array([[0.0, -1.0], [0.0, -1.0]], np.float32)
  actions = np.array([[0.3, 1.2], [0.1, -0.4]], np.float32)
  adv = np.array([1.5, -0.5], np.float32)
  z = (actions - mean) / np.exp(log_std)
  old_lp = (-0.5 * z ** 2 - log_std - 0.5 * np.log(2 * np.pi)).sum(-1)
  policy = _Free(mean + 0.1, log_std)
  z_new = (actions - mean - 0.1) / np.exp(log_std)
  new_lp = (-0.5 * z_new ** 2 - log_std - 0.5 * np.log(2 * np.pi)).sum(-1)
  expected = np.mean(np.exp(new_lp - old_lp) * adv)
  np.testing.assert_allclose(float(single_path_surrogate(policy, None, actions, adv, old_lp)), expected, rtol=1e-5)
  entropy = (log_std + 0.5 * np.log(2 * np.pi * np.e)).sum(-1).mean()
  np.testing.assert_allclose(float(single_path_surrogate(policy, None, actions, adv, old_lp, 0.05)),
                             expected + 0.05 * entropy, rtol=1e-5)
  # The bonus's gradient in log σ is c per dimension (∂H/∂log σ_i = 1), averaged over the batch.
  zero_adv = np.zeros(2, np.float32)
  with tf.GradientTape() as tape:
    value = single_path_surrogate(policy, None, actions, zero_adv, old_lp, 0.05)
  np.testing.assert_allclose(tape.gradient(value, policy.log_std).numpy(), np.full((2, 2), 0.05 / 2), rtol=1e-5)
