"""GAE against a plain per-episode numpy reference, with truncation and autoreset rows."""

import numpy as np

from trpo_tf.advantages import gae


def reference_gae(rewards, values, last_values, terminated, truncated, valid, gamma, lam):
  """Straightforward per-env, per-episode computation written independently."""
  T, N = rewards.shape
  adv = np.zeros((T, N))
  for i in range(N):
    t = 0
    while t < T:
      if not valid[t, i]:
        t += 1
        continue
      end = t  # collect one episode segment [t, end]
      while end < T - 1 and not (terminated[end, i] or truncated[end, i]):
        end += 1
      seg = list(range(t, end + 1))
      for k in seg:
        if terminated[k, i]:
          nv = 0.0
        elif k + 1 < T:
          nv = values[k + 1, i]   # next obs, or the final obs of a truncated episode
        else:
          nv = last_values[i]
        delta = rewards[k, i] + gamma * nv - values[k, i]
        total = 0.0
        for j, kk in enumerate(seg[seg.index(k):]):
          if kk == k:
            total += delta
          else:
            nvj = 0.0 if terminated[kk, i] else (values[kk + 1, i] if kk + 1 < T else last_values[i])
            total += (gamma * lam) ** j * (rewards[kk, i] + gamma * nvj - values[kk, i])
        adv[k, i] = total
      t = end + 1
  return adv


def test_hand_computed_single_episode():
  # One env, 3 steps, terminated at t=2, γ=0.5, λ=0.5.
  r = np.array([[1.0], [1.0], [1.0]])
  v = np.array([[0.0], [0.0], [0.0]])
  term = np.array([[False], [False], [True]])
  res = gae(r, v, np.array([5.0]), term, np.zeros_like(term), np.ones_like(term), 0.5, 0.5)
  # δ = 1 everywhere (terminal step not bootstrapped); A2 = 1, A1 = 1 + .25, A0 = 1 + .25 + .0625
  np.testing.assert_allclose(res.advantages[:, 0], [1.3125, 1.25, 1.0])


def test_truncation_bootstraps_from_final_observation():
  # Truncated at t=1: row 2 holds the final obs (V=10) and is an autoreset row.
  r = np.array([[1.0], [1.0], [0.0], [1.0]])
  v = np.array([[0.0], [0.0], [10.0], [0.0]])
  trunc = np.array([[False], [True], [False], [False]])
  valid = np.array([[True], [True], [False], [True]])
  res = gae(r, v, np.array([2.0]), np.zeros_like(trunc), trunc, valid, 0.9, 1.0)
  np.testing.assert_allclose(res.advantages[1, 0], 1.0 + 0.9 * 10.0)
  np.testing.assert_allclose(res.advantages[0, 0], 1.0 + 0.9 * (1.0 + 0.9 * 10.0))
  assert res.advantages[2, 0] == 0.0 and res.returns[2, 0] == 0.0
  np.testing.assert_allclose(res.advantages[3, 0], 1.0 + 0.9 * 2.0)  # bootstraps last_values


def test_terminated_and_truncated_together_is_terminal():
  r = np.array([[1.0], [0.0]])
  v = np.array([[0.5], [7.0]])
  flag = np.array([[True], [False]])
  res = gae(r, v, np.array([0.0]), flag, flag, np.array([[True], [False]]), 0.99, 0.95)
  np.testing.assert_allclose(res.advantages[0, 0], 1.0 - 0.5)


def test_random_batches_match_reference():
  rng = np.random.default_rng(0)
  for _ in range(20):
    T, N = 40, 5
    rewards = rng.standard_normal((T, N))
    values = rng.standard_normal((T, N))
    last = rng.standard_normal(N)
    terminated = rng.random((T, N)) < 0.06
    truncated = rng.random((T, N)) < 0.06
    valid = np.ones((T, N), bool)
    valid[1:] = ~(terminated[:-1] | truncated[:-1])   # NEXT_STEP autoreset rows
    terminated &= valid
    truncated &= valid
    rewards[~valid] = 0.0
    res = gae(rewards, values, last, terminated, truncated, valid, 0.97, 0.9)
    ref = reference_gae(rewards, values, last, terminated, truncated, valid, 0.97, 0.9)
    np.testing.assert_allclose(res.advantages, ref, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(res.returns, np.where(valid, ref + values, 0.0), rtol=1e-10, atol=1e-10)
