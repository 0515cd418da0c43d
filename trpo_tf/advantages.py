"""GAE(γ, λ) advantages (Schulman et al. 2016) over a [T, N] batch of vector-env steps.

Layout (gymnasium NEXT_STEP autoreset): row t holds obs_t, the reward and the
terminated/truncated flags returned by stepping from obs_t. After a step that
ends an episode, the buffer's next row of that env holds the episode's *final*
observation and is a reset step (invalid: action ignored, reward 0). Hence the
value needed to bootstrap a truncated step t is simply values[t + 1] (or
last_values at the end), and a terminated step is not bootstrapped.

TensorFlow ops in float64, so the same code runs eagerly, inside the native
learner and inside a compiled TF-Agents `train` (TF-Agents' boundary rows are
exactly these autoreset rows; see tf_agents/agent.py).
"""

from typing import NamedTuple

import tensorflow as tf


class GAEResult(NamedTuple):
  advantages: tf.Tensor  # [T, N] float64; 0 on invalid rows
  returns: tf.Tensor     # [T, N] value targets: advantages + values


def gae(rewards, values, last_values, terminated, truncated, valid, gamma: float, lam: float) -> GAEResult:
  """Computes GAE for arrays of shape [T, N] (numpy or tensors).

  A step that is terminated (even if also truncated) gets next value 0; a step
  that is only truncated bootstraps from V(final obs); the recursion restarts
  after any episode end. Invalid (autoreset) rows get advantage 0.
  """
  rewards, values, last_values = (tf.cast(x, tf.float64) for x in (rewards, values, last_values))
  terminated, truncated, valid = (tf.cast(x, tf.bool) for x in (terminated, truncated, valid))
  next_values = tf.concat([values[1:], last_values[None]], axis=0)
  done = tf.logical_or(terminated, truncated)
  not_terminated = 1.0 - tf.cast(terminated, tf.float64)
  deltas = rewards + gamma * next_values * not_terminated - values

  def backward(running, row):
    delta, done_t, valid_t = row
    running = delta + gamma * lam * tf.where(done_t, tf.zeros_like(running), running)
    return tf.where(valid_t, running, tf.zeros_like(running))

  adv = tf.scan(backward, (deltas, done, valid), initializer=tf.zeros_like(last_values), reverse=True)
  return GAEResult(advantages=adv, returns=tf.where(valid, adv + values, tf.zeros_like(adv)))
