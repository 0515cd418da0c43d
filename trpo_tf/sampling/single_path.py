"""Single-path sampling (paper §5.1) over a vector env.

Each `collect` runs the current policy for `steps` vector steps and returns a
[T, N] Batch (batch.py) in the NEXT_STEP layout described in advantages.py.
Episodes run across batch boundaries; rows that are autoreset steps are marked
invalid. Two parts, so that envs can be split across processes (ray_sampler.py):

- `EnvRunner` steps one vector env, the envs [offset, offset + n) of the
  sampler's N, and returns a `Segment` with *raw* rewards and the episodes it
  finished;
- `to_batch` joins segments along the env axis and scales the rewards over
  time with the RewardScaler, exactly as if one runner had stepped all N envs.
`SinglePathSampler` is one runner over all envs plus the scaler and the
vector-step counter (both checkpointed).
"""

from typing import Callable, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from trpo_tf.normalization import RewardScaler
from trpo_tf.sampling.batch import Batch, StepCounter
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


class EnvRunner:
  """Owns a vector env's running state between batches: its observations, autoreset flags and
  the returns of the episodes in progress."""

  def __init__(self, env, offset: int = 0):
    self.env, self.offset = env, offset
    self.num_envs = env.num_envs
    self._obs_dtype = observation_dtype(env.single_observation_space)
    self._obs = None

  def reset(self, seed: int) -> None:
    """Sub-env i gets seed + offset + i (gymnasium's rule), so any split of N envs is seeded alike."""
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
                   valid=valid, last_obs=self._obs.copy(), episodes=episodes)

  def close(self) -> None:
    self.env.close()


def to_batch(segments: List[Segment], reward_scaler: RewardScaler) -> Batch:
  """Joins segments (in env order) along the env axis and scales their rewards step by step."""
  join = (lambda field: getattr(segments[0], field)) if len(segments) == 1 else \
      (lambda field: np.concatenate([getattr(s, field) for s in segments], axis=1))
  raw, terminated, truncated, valid = join("rewards"), join("terminated"), join("truncated"), join("valid")
  rewards = np.empty_like(raw)
  for t in range(len(raw)):   # the scaler's running statistics advance one vector step at a time
    rewards[t] = reward_scaler.scale(np.asarray(raw[t], np.float64), terminated[t] | truncated[t], valid[t])
  episodes = sorted(e for s in segments for e in s.episodes)   # (t, env): one runner's order
  last_obs = np.concatenate([s.last_obs for s in segments]) if len(segments) > 1 else segments[0].last_obs
  return Batch(obs=join("obs"), actions=join("actions"), rewards=rewards, terminated=terminated, truncated=truncated,
               valid=valid, last_obs=last_obs, episode_returns=[e[2] for e in episodes],
               episode_lengths=[e[3] for e in episodes])


class SinglePathSampler:
  """One EnvRunner over all envs, the reward scaler and the step counter (implements batch.Sampler)."""

  def __init__(self, env, reward_scaler: RewardScaler):
    self.runner = EnvRunner(env)
    self.env, self.reward_scaler = env, reward_scaler
    self.observation_space = env.single_observation_space
    self.action_space = env.single_action_space
    self.num_envs = env.num_envs
    self.counter = StepCounter()   # seeds the policy's sampling; checkpointed

  @property
  def vector_steps(self) -> int:
    return self.counter.value

  def checkpointables(self) -> dict:
    return {"reward_scaler": self.reward_scaler, "vector_steps": self.counter}

  def reset(self, seed: int) -> None:
    self.runner.reset(seed)

  def close(self) -> None:
    self.runner.close()

  def collect(self, actor, steps: int, before_step: Optional[Callable[[int, np.ndarray], None]] = None) -> Batch:
    """Runs `steps` vector steps with `actor` (see actors.py); `before_step` as in EnvRunner.run."""
    actor.start_batch(self.counter.value)
    segment = self.runner.run(actor, steps, before_step)
    self.counter.value += steps
    return to_batch([segment], self.reward_scaler)
