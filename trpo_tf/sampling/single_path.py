"""Single-path sampling (paper §5.1) over a gymnasium vector env.

Each `collect` runs the current policy for `steps` vector steps and returns a
[T, N] Batch (batch.py) in the NEXT_STEP layout described in advantages.py.
Episodes run across batch boundaries; rows that are autoreset steps are marked
invalid. The sampler owns its env, its reward scaler and its vector-step counter.
"""

from typing import Callable, Optional

import numpy as np

from trpo_tf.normalization import RewardScaler
from trpo_tf.sampling.batch import Batch, StepCounter
from trpo_tf.sampling.envs import action_to_env, observation_dtype


class SinglePathSampler:
  """Owns the vector env's running state between batches (implements batch.Sampler)."""

  def __init__(self, env, reward_scaler: RewardScaler):
    self.env, self.reward_scaler = env, reward_scaler
    self.observation_space = env.single_observation_space
    self.action_space = env.single_action_space
    self.num_envs = env.num_envs
    self.counter = StepCounter()   # seeds the policy's sampling; checkpointed
    self._obs_dtype = observation_dtype(env.single_observation_space)
    self._obs = None

  @property
  def vector_steps(self) -> int:
    return self.counter.value

  def checkpointables(self) -> dict:
    return {"reward_scaler": self.reward_scaler, "vector_steps": self.counter}

  def reset(self, seed: int) -> None:
    obs, _ = self.env.reset(seed=seed)
    self._obs = np.asarray(obs, self._obs_dtype)
    n = self.env.num_envs
    self._autoreset = np.zeros(n, bool)
    self._ep_return = np.zeros(n)
    self._ep_length = np.zeros(n, np.int64)

  def close(self) -> None:
    self.env.close()

  def collect(self, actor, steps: int, before_step: Optional[Callable[[int, np.ndarray], None]] = None) -> Batch:
    """Runs `steps` vector steps with `actor` (see actors.py).

    `before_step(t, valid_t)`, if given, is called before vector step t, while the
    sub-envs are in the states of row t (vine.py saves some of them).
    """
    if self._obs is None:
      raise RuntimeError("call reset(seed) before collect()")
    actor.start_batch(self.counter.value)
    n = self.env.num_envs
    obs_buf = np.empty((steps, n) + self._obs.shape[1:], self._obs_dtype)
    act_buf = None
    rewards = np.empty((steps, n))
    terminated = np.empty((steps, n), bool)
    truncated = np.empty((steps, n), bool)
    valid = np.empty((steps, n), bool)
    ep_returns, ep_lengths = [], []
    for t in range(steps):
      obs_buf[t] = self._obs
      valid[t] = ~self._autoreset
      if before_step is not None:
        before_step(t, valid[t])
      actions = actor(self._obs)
      if act_buf is None:
        act_buf = np.empty((steps,) + actions.shape, actions.dtype)
      act_buf[t] = actions
      next_obs, reward, term, trunc, _ = self.env.step(action_to_env(actions, self.action_space))
      self.counter.value += 1
      term, trunc = term & valid[t], trunc & valid[t]
      done = term | trunc
      self._ep_return += np.where(valid[t], reward, 0.0)
      self._ep_length += valid[t]
      for i in np.flatnonzero(done):
        ep_returns.append(float(self._ep_return[i]))
        ep_lengths.append(int(self._ep_length[i]))
      self._ep_return[done] = 0.0
      self._ep_length[done] = 0
      rewards[t] = self.reward_scaler.scale(np.asarray(reward, np.float64), done, valid[t])
      terminated[t], truncated[t] = term, trunc
      self._autoreset = done
      self._obs = np.asarray(next_obs, self._obs_dtype)
    return Batch(obs=obs_buf, actions=act_buf, rewards=rewards, terminated=terminated,
                 truncated=truncated, valid=valid, last_obs=self._obs.copy(),
                 episode_returns=ep_returns, episode_lengths=ep_lengths)
