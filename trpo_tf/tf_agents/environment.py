"""A gymnasium environment as a TF-Agents PyEnvironment (TF-Agents 0.19 only knows old gym).

Termination → `ts.termination` (discount 0); truncation (time limit) →
`ts.truncation` (discount 1, so the agent bootstraps); the next step after
either resets (TF-Agents' auto-reset). Box actions are clipped to their bounds
here, so the collect policy can record the unclipped Gaussian sample.
"""

import gymnasium as gym
import numpy as np
from tf_agents.environments import py_environment
from tf_agents.specs import array_spec
from tf_agents.trajectories import time_step as ts

from trpo_tf.sampling.envs import action_to_env, make_env, observation_dtype


def _action_spec(space: gym.Space):
  if isinstance(space, gym.spaces.Discrete):
    return array_spec.BoundedArraySpec((), np.int32, 0, int(space.n) - 1, name="action")
  return array_spec.BoundedArraySpec(space.shape, np.float32, space.low.astype(np.float32),
                                     space.high.astype(np.float32), name="action")


class GymnasiumEnvironment(py_environment.PyEnvironment):

  def __init__(self, env_id: str, seed: int = 0, **make_kwargs):
    super().__init__(handle_auto_reset=True)
    self._env = make_env(env_id, **make_kwargs)
    space = self._env.observation_space
    self._obs_dtype = observation_dtype(space)
    self._observation_spec = array_spec.ArraySpec(space.shape, self._obs_dtype, name="observation")
    self._action_spec = _action_spec(self._env.action_space)
    self._seed, self._episodes = seed, 0

  def observation_spec(self):
    return self._observation_spec

  def action_spec(self):
    return self._action_spec

  def _reset(self):
    obs, _ = self._env.reset(seed=self._seed + self._episodes)   # seeded, a new seed per episode
    self._episodes += 1
    return ts.restart(np.asarray(obs, self._obs_dtype))

  def _step(self, action):
    obs, reward, terminated, truncated, _ = self._env.step(action_to_env(np.asarray(action), self._env.action_space))
    obs, reward = np.asarray(obs, self._obs_dtype), np.float32(reward)
    if terminated:
      return ts.termination(obs, reward)
    if truncated:
      return ts.truncation(obs, reward)
    return ts.transition(obs, reward)

  def close(self):
    self._env.close()
