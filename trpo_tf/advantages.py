"""GAE(γ, λ) advantages (Schulman et al. 2016) over a [T, N] batch of vector-env steps.

Layout (gymnasium NEXT_STEP autoreset): row t holds obs_t, the reward and the
terminated/truncated flags returned by stepping from obs_t. After a step that
ends an episode, the buffer's next row of that env holds the episode's *final*
observation and is a reset step (invalid: action ignored, reward 0). Hence the
value needed to bootstrap a truncated step t is simply values[t + 1] (or
last_values at the end), and a terminated step is not bootstrapped.
"""

from typing import NamedTuple

import numpy as np


class GAEResult(NamedTuple):
  advantages: np.ndarray  # [T, N]; 0 on invalid rows
  returns: np.ndarray     # [T, N] value targets: advantages + values


def gae(rewards: np.ndarray, values: np.ndarray, last_values: np.ndarray,
        terminated: np.ndarray, truncated: np.ndarray, valid: np.ndarray,
        gamma: float, lam: float) -> GAEResult:
  """Computes GAE for arrays of shape [T, N].

  A step that is terminated (even if also truncated) gets next value 0; a step
  that is only truncated bootstraps from V(final obs); the recursion restarts
  after any episode end. Invalid (autoreset) rows get advantage 0.
  """
  T = rewards.shape[0]
  next_values = np.concatenate([values[1:], last_values[None]], axis=0)
  done = np.logical_or(terminated, truncated)
  not_terminated = 1.0 - terminated.astype(np.float64)
  deltas = rewards + gamma * next_values * not_terminated - values
  adv = np.zeros(rewards.shape, np.float64)
  running = np.zeros(rewards.shape[1:], np.float64)
  for t in range(T - 1, -1, -1):
    running = deltas[t] + gamma * lam * np.where(done[t], 0.0, running)
    running = np.where(valid[t], running, 0.0)
    adv[t] = running
  return GAEResult(advantages=adv, returns=np.where(valid, adv + values, 0.0))
