"""Steps a vector env with an actor and records a [T, n] Segment with raw rewards (no TensorFlow:
Ray rollout workers run it, see rollout_worker.py).

An `EnvRunner` owns the envs [offset, offset + n) of a sampler's N and their
running state between batches (observations, autoreset flags, the returns of
episodes in progress). Rows that are autoreset steps are invalid (advantages.py);
single_path.to_batch scales the rewards and joins runners' segments.
"""

import time
from typing import Callable, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from trpo_tf.sampling.envs import action_to_env, observation_dtype


class Segment(NamedTuple):
  """[T, n] steps of envs [offset, offset + n): Batch's fields with raw rewards."""
  obs: np.ndarray
  actions: np.ndarray
  rewards: np.ndarray                          # raw (unscaled) rewards, float64
  terminated: np.ndarray
  truncated: np.ndarray
  valid: np.ndarray
  last_obs: np.ndarray
  episodes: Sequence[Tuple[int, int, float, int]]   # (step t, env index in N, return, length)
  seconds: float = 0.0                               # wall time of the stepping loop (benchmarks/ray_scaling.py)


class EnvRunner:
  """Owns a vector env's running state between batches: its observations, autoreset flags and
  the returns of the episodes in progress."""

  def __init__(self, env, offset: int = 0):
    self.env, self.offset = env, offset
    self.num_envs = env.num_envs
    self._obs_dtype = observation_dtype(env.single_observation_space)
    self._obs = None

  def reset(self, seed: int) -> None:
    """Sub-env i gets seed + offset + i (gymnasium's and EnvPool's rule), so any split of the N envs
    is seeded alike."""
    obs, _ = self.env.reset(seed=seed + self.offset)
    self._obs = np.asarray(obs, self._obs_dtype)
    self._autoreset = np.zeros(self.num_envs, bool)
    self._ep_return = np.zeros(self.num_envs)
    self._ep_length = np.zeros(self.num_envs, np.int64)

  def run(self, actor, steps: int, before_step: Optional[Callable[[int, np.ndarray], None]] = None) -> Segment:
    """`steps` vector steps with `actor` (already started on this batch's vector step).

    `before_step(t, valid_t)`, if given, is called before vector step t, while the
    sub-envs are in the states of row t (vine.py saves some of them).
    """
    if self._obs is None:
      raise RuntimeError("call reset(seed) before collect()")
    n, space = self.num_envs, self.env.single_action_space
    obs_buf = np.empty((steps, n) + self._obs.shape[1:], self._obs_dtype)
    act_buf = None
    rewards = np.empty((steps, n))
    terminated = np.empty((steps, n), bool)
    truncated = np.empty((steps, n), bool)
    valid = np.empty((steps, n), bool)
    episodes = []
    started = time.perf_counter()
    for t in range(steps):
      obs_buf[t] = self._obs
      valid[t] = ~self._autoreset
      if before_step is not None:
        before_step(t, valid[t])
      actions = actor(self._obs)
      if act_buf is None:
        act_buf = np.empty((steps,) + actions.shape, actions.dtype)
      act_buf[t] = actions
      next_obs, reward, term, trunc, _ = self.env.step(action_to_env(actions, space))
      term, trunc = term & valid[t], trunc & valid[t]
      done = term | trunc
      self._ep_return += np.where(valid[t], reward, 0.0)
      self._ep_length += valid[t]
      for i in np.flatnonzero(done):
        episodes.append((t, self.offset + int(i), float(self._ep_return[i]), int(self._ep_length[i])))
      self._ep_return[done] = 0.0
      self._ep_length[done] = 0
      rewards[t] = reward
      terminated[t], truncated[t] = term, trunc
      self._autoreset = done
      self._obs = np.asarray(next_obs, self._obs_dtype)
    return Segment(obs=obs_buf, actions=act_buf, rewards=rewards, terminated=terminated, truncated=truncated,
                   valid=valid, last_obs=self._obs.copy(), episodes=episodes, seconds=time.perf_counter() - started)

  def close(self) -> None:
    self.env.close()
