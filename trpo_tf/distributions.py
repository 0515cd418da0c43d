"""Action-distribution heads: TFP distributions plus the closed forms TRPO needs.

A head turns the network's per-sample distribution parameters (a tuple of
batch-major tensors) into a TFP distribution, and also knows the Fisher metric
of that distribution in its own parameters, which the analytic Fisher-vector
product (F v = Jᵀ M J v, paper appendix C.1) uses.
"""

from typing import Tuple

import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions
Params = Tuple[tf.Tensor, ...]


class DiagGaussianHead:
  """Diagonal Gaussian with parameters (mean, log_std), both [batch, act_dim]."""

  discrete = False

  def distribution(self, params: Params) -> tfd.Distribution:
    mean, log_std = params
    return tfd.Independent(tfd.Normal(mean, tf.exp(log_std)), reinterpreted_batch_ndims=1)

  def mode(self, params: Params) -> tf.Tensor:
    return params[0]

  def action_dims(self, params: Params) -> int:
    """d: the independent components whose KLs the per-sample KL sums (static)."""
    return int(params[0].shape[-1])

  def kl(self, old: Params, new: Params) -> tf.Tensor:
    """Per-sample KL(old ‖ new)."""
    return tfd.kl_divergence(self.distribution(old), self.distribution(new))

  def fisher_metric_vp(self, params: Params, tangents: Params) -> Params:
    """M·t for the KL Hessian in (mean, log_std): diag(1/σ²) and 2·I."""
    _, log_std = params
    d_mean, d_log_std = tangents
    return (d_mean * tf.exp(-2.0 * log_std), 2.0 * d_log_std)


class CategoricalHead:
  """Categorical over n actions with parameters (logits,), [batch, n]."""

  discrete = True

  def distribution(self, params: Params) -> tfd.Distribution:
    return tfd.Categorical(logits=params[0])

  def mode(self, params: Params) -> tf.Tensor:
    return tf.argmax(params[0], axis=-1, output_type=tf.int32)

  def action_dims(self, params: Params) -> int:
    """One categorical action per state."""
    return 1

  def kl(self, old: Params, new: Params) -> tf.Tensor:
    return tfd.kl_divergence(self.distribution(old), self.distribution(new))

  def fisher_metric_vp(self, params: Params, tangents: Params) -> Params:
    """M·t with M = diag(p) − p pᵀ, the KL Hessian in the logits."""
    p = tf.nn.softmax(params[0])
    t = tangents[0]
    return (p * t - p * tf.reduce_sum(p * t, axis=-1, keepdims=True),)
