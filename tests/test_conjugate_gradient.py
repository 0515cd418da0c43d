import numpy as np
import tensorflow as tf

from trpo_tf.conjugate_gradient import conjugate_gradient


def spd(n, seed=0):
  rng = np.random.default_rng(seed)
  q = rng.standard_normal((n, n))
  return (q @ q.T + n * np.eye(n)).astype(np.float64)


def test_solves_known_spd_system():
  a = spd(12)
  b = np.random.default_rng(1).standard_normal(12)
  result = conjugate_gradient(lambda v: tf.linalg.matvec(tf.constant(a), v), tf.constant(b), max_iters=12,
                              residual_tol=1e-24)
  np.testing.assert_allclose(result.x.numpy(), np.linalg.solve(a, b), rtol=1e-8, atol=1e-8)
  assert float(result.residual_norm) < 1e-6


def test_hand_computed_2x2_in_tf_function():
  # [[4, 1], [1, 3]] x = [1, 2]  ->  x = [1/11, 7/11]; CG is exact in 2 steps.
  a = tf.constant([[4.0, 1.0], [1.0, 3.0]], tf.float64)
  solve = tf.function(lambda b: conjugate_gradient(lambda v: tf.linalg.matvec(a, v), b, max_iters=2).x)
  np.testing.assert_allclose(solve(tf.constant([1.0, 2.0], tf.float64)).numpy(), [1 / 11, 7 / 11], rtol=1e-12)


def test_stops_early_on_small_residual():
  a = np.diag([2.0, 2.0, 2.0])
  result = conjugate_gradient(lambda v: tf.linalg.matvec(tf.constant(a), v), tf.constant([1.0, 1.0, 1.0], tf.float64),
                              max_iters=10, residual_tol=1e-20)
  assert int(result.iterations) == 1  # a multiple of the identity is solved in one step
  np.testing.assert_allclose(result.x.numpy(), [0.5, 0.5, 0.5])


def test_non_positive_curvature_keeps_x_finite():
  result = conjugate_gradient(lambda v: -v, tf.constant([1.0, 2.0]), max_iters=5)
  assert np.all(np.isfinite(result.x.numpy()))
  np.testing.assert_array_equal(result.x.numpy(), [0.0, 0.0])
