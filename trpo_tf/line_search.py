"""Backtracking line search that enforces the trust region (paper §6, appendix C).

Tries θ_old + cᵏ·full_step for k = 0, 1, … and accepts the first candidate
whose surrogate and KL are finite, whose mean KL is ≤ max_kl and whose
surrogate improves (by at least accept_ratio × the linear prediction). If none
does, θ_old is restored and the rejection is reported.
"""

from typing import Callable, NamedTuple, Sequence, Tuple

import tensorflow as tf

from trpo_tf import flat


class LineSearchResult(NamedTuple):
  accepted: tf.Tensor          # bool: parameters moved
  tries: tf.Tensor             # candidates evaluated
  step_fraction: tf.Tensor     # cᵏ of the accepted step (0 if rejected)
  improvement: tf.Tensor       # surrogate gain of the accepted step (0 if rejected)
  kl: tf.Tensor                # mean KL at the final parameters


def backtracking_line_search(
    variables: Sequence[tf.Variable],
    evaluate: Callable[[], Tuple[tf.Tensor, tf.Tensor]],
    old_flat: tf.Tensor, full_step: tf.Tensor, surrogate_before: tf.Tensor,
    expected_improvement: tf.Tensor, max_kl: float, max_backtracks: int,
    shrink: float, accept_ratio: float) -> LineSearchResult:
  """Runs the search; `evaluate()` returns (surrogate, mean_kl) at the variables' current values."""

  def cond(k, accepted, frac, gain, kl):
    return tf.logical_and(k < max_backtracks, tf.logical_not(accepted))

  def body(k, accepted, frac, gain, kl):
    frac = tf.pow(tf.constant(shrink, full_step.dtype), tf.cast(k, full_step.dtype))
    flat.set_flat(variables, old_flat + frac * full_step)
    surrogate, kl = evaluate()
    gain = surrogate - surrogate_before
    finite = tf.logical_and(tf.math.is_finite(surrogate), tf.math.is_finite(kl))
    ok = finite & (kl <= max_kl) & (gain > 0.0) & (gain >= accept_ratio * frac * expected_improvement)
    return k + 1, ok, frac, gain, kl

  zero = tf.zeros([], full_step.dtype)
  tries, accepted, frac, gain, kl = tf.while_loop(
      cond, body, (tf.constant(0), tf.constant(False), zero, zero, zero))
  # Restore θ_old when every candidate failed (works eagerly and in tf.function).
  tf.cond(accepted, lambda: tf.constant(True), lambda: _assign_and_return(variables, old_flat))
  return LineSearchResult(
      accepted=accepted, tries=tries,
      step_fraction=tf.where(accepted, frac, zero),
      improvement=tf.where(accepted, gain, zero),
      kl=tf.where(accepted, kl, zero))


def _assign_and_return(variables, values):
  flat.set_flat(variables, values)
  return tf.constant(True)
