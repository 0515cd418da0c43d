"""Gymnasium environment construction with one-line errors for bad input."""

import gymnasium as gym
import numpy as np

from trpo_tf.config import ConfigError


def _first_line(error: Exception) -> str:
  text = str(error).strip()
  return text.splitlines()[0] if text else type(error).__name__


def check_env_id(env_id: str) -> None:
  """Raises ConfigError (one line) if gymnasium does not know `env_id`."""
  try:
    gym.spec(env_id)
  except gym.error.Error as e:
    raise ConfigError(f"unknown environment id {env_id!r}: {_first_line(e)}") from None


def check_spaces(observation_space: gym.Space, action_space: gym.Space, env_id: str) -> None:
  if not isinstance(action_space, (gym.spaces.Box, gym.spaces.Discrete)):
    raise ConfigError(f"{env_id}: action space {action_space} is not supported; TRPO here needs Box "
                      "(Gaussian policy) or Discrete (categorical policy)")
  if not isinstance(observation_space, gym.spaces.Box):
    raise ConfigError(f"{env_id}: observation space {observation_space} is not supported; need a Box")


def _create(env_id: str, factory, spaces, **kwargs):
  """factory(env_id, **kwargs), with gymnasium errors and unsupported spaces as one-line ConfigErrors."""
  check_env_id(env_id)
  try:
    env = factory(env_id, **kwargs)
  except gym.error.Error as e:  # e.g. DependencyNotInstalled
    raise ConfigError(f"cannot create {env_id}: {_first_line(e)}") from None
  try:
    check_spaces(*spaces(env), env_id)
  except ConfigError:
    env.close()
    raise
  return env


def make_env(env_id: str, **kwargs) -> gym.Env:
  return _create(env_id, gym.make, lambda e: (e.observation_space, e.action_space), **kwargs)


def make_vector_env(env_id: str, num_envs: int, mode: str = "sync") -> gym.vector.VectorEnv:
  """A vector env with gymnasium's default NEXT_STEP autoreset (handled in advantages.py)."""
  return _create(env_id, gym.make_vec, lambda e: (e.single_observation_space, e.single_action_space),
                 num_envs=num_envs, vectorization_mode=mode)


def action_to_env(actions: np.ndarray, action_space: gym.Space) -> np.ndarray:
  """Gaussian samples are unbounded: clip to the Box for the simulator (the
  unclipped sample is what the update scores)."""
  if isinstance(action_space, gym.spaces.Box):
    return np.clip(actions, action_space.low, action_space.high)
  return actions
