"""Fisher-vector products F v for the policy's mean-KL Hessian (paper §6, appendix C.1).

Two formulations, both exact (no Monte Carlo):
- "forward_over_backward": a ForwardAccumulator with tangent v over a GradientTape
  gradient of mean KL(π_old ‖ π_θ); the jvp of that gradient is the Hessian-vector
  product, in one pass.
- "analytic": F v = (1/N) Jᵀ M (J v), a jvp of the distribution parameters, the
  distribution's own Fisher metric M in closed form, then one vjp. No second
  derivative is taken.
"""

from typing import Callable

import tensorflow as tf

from trpo_tf import flat
from trpo_tf.config import FVP_MODES


def raw_variable(variable) -> tf.Variable:
  """The tf.Variable behind a Keras 3 variable (a tf.Variable, e.g. of a tf_keras or
  TF-Agents network, is returned as it is).

  ForwardAccumulator rejects Keras 3 variables as primals; their `.value` is the
  underlying tf.Variable that the model reads, which it accepts.
  """
  return variable if isinstance(variable, tf.Variable) else variable.value


def raw_variables(model, trainable: bool = True) -> list:
  """raw_variable of each of the model's (trainable) variables."""
  return [raw_variable(v) for v in (model.trainable_variables if trainable else model.variables)]


def mean_kl(policy, obs, old_params) -> tf.Tensor:
  return tf.reduce_mean(policy.head.kl(old_params, policy.dist_params(obs)))


def make_fvp(policy, obs: tf.Tensor, old_params, damping: float,
             mode: str = "forward_over_backward") -> Callable[[tf.Tensor], tf.Tensor]:
  """Returns flat v ↦ (F + damping·I) v at the policy's current parameters.

  `old_params` must be the distribution parameters of the current policy on
  `obs` (held fixed as KL's first argument).
  """
  if mode not in FVP_MODES:
    raise ValueError(f"fvp_mode must be one of {FVP_MODES}, got {mode!r}")
  variables = raw_variables(policy)
  old_params = tuple(tf.stop_gradient(p) for p in old_params)

  def forward_over_backward(v):
    tangents = flat.unflatten(v, variables)
    with tf.autodiff.ForwardAccumulator(variables, tangents) as acc:
      with tf.GradientTape() as tape:
        kl = mean_kl(policy, obs, old_params)
      grads = tape.gradient(kl, variables)
    return flat.flatten(acc.jvp(grads, unconnected_gradients=tf.UnconnectedGradients.ZERO))

  def analytic(v):
    tangents = flat.unflatten(v, variables)
    with tf.GradientTape() as tape:
      with tf.autodiff.ForwardAccumulator(variables, tangents) as acc:
        params = policy.dist_params(obs)
      jv = acc.jvp(params, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    mjv = policy.head.fisher_metric_vp(old_params, jv)
    n = tf.cast(tf.shape(obs)[0], v.dtype)
    mjv = [tf.stop_gradient(m) / n for m in mjv]
    grads = tape.gradient(params, variables, output_gradients=mjv,
                          unconnected_gradients=tf.UnconnectedGradients.ZERO)
    return flat.flatten(grads)

  product = forward_over_backward if mode == "forward_over_backward" else analytic
  return lambda v: product(v) + damping * v
