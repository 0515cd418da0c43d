"""Conjugate gradient for F x = g (paper §6, appendix C), usable inside tf.function."""

from typing import Callable, NamedTuple

import tensorflow as tf


class CGResult(NamedTuple):
  x: tf.Tensor               # approximate solution
  iterations: tf.Tensor      # iterations actually run
  residual_norm: tf.Tensor   # ‖b − A x‖ as tracked by the recurrence


def conjugate_gradient(matvec: Callable[[tf.Tensor], tf.Tensor], b: tf.Tensor,
                       max_iters: int, residual_tol: float = 1e-10) -> CGResult:
  """Solves A x = b for symmetric positive-definite A given only x ↦ A x.

  Starts from x = 0 (deterministic, as in the paper) and stops after
  `max_iters` iterations or once ‖r‖² < residual_tol. A non-positive or
  non-finite curvature pᵀAp stops the iteration with the current x.
  """
  x = tf.zeros_like(b)
  r = tf.identity(b)
  p = tf.identity(b)
  rr = tf.tensordot(r, r, 1)

  def cond(i, x, r, p, rr, done):
    return tf.logical_and(i < max_iters, tf.logical_not(done))

  def body(i, x, r, p, rr, done):
    ap = matvec(p)
    pap = tf.tensordot(p, ap, 1)
    ok = tf.logical_and(pap > 0.0, tf.math.is_finite(pap))
    alpha = tf.where(ok, rr / tf.where(ok, pap, 1.0), 0.0)
    x_new = x + alpha * p
    r_new = r - alpha * ap
    rr_new = tf.tensordot(r_new, r_new, 1)
    beta = rr_new / tf.maximum(rr, 1e-30)
    p_new = r_new + beta * p
    done = tf.logical_or(tf.logical_not(ok), rr_new < residual_tol)
    return (i + 1,
            tf.where(ok, x_new, x), tf.where(ok, r_new, r), tf.where(ok, p_new, p),
            tf.where(ok, rr_new, rr), done)

  i, x, _, _, rr, _ = tf.while_loop(
      cond, body, (tf.constant(0), x, r, p, rr, rr < residual_tol))
  return CGResult(x=x, iterations=i, residual_norm=tf.sqrt(rr))
