"""Gymnasium environment construction with one-line errors for bad input."""

import gymnasium as gym
import numpy as np

from trpo_tf.config import ConfigError, first_line
from trpo_tf.sampling import atari


# Environment families that need an optional extra of the package (setup.py), by entry-point prefix.
_FAMILIES = {"gymnasium.envs.mujoco": ("MuJoCo", "mujoco"), "ale_py": ("the Arcade Learning Environment", "atari")}


def missing_extra_error(env_id: str, what: str, extra: str) -> ConfigError:
  """The one-line error for an env family whose optional dependencies are not installed."""
  return ConfigError(f"{env_id} needs {what}, which is not installed: pip install 'trpo_tf[{extra}]' "
                     "(make train / make test install everything)")


def check_env_id(env_id: str) -> None:
  """Raises ConfigError (one line) if gymnasium does not know `env_id`."""
  if atari.is_atari(env_id):
    try:
      atari.register()
    except ImportError:
      raise missing_extra_error(env_id, *_FAMILIES["ale_py"]) from None
  try:
    gym.spec(env_id)
  except gym.error.Error as e:
    raise ConfigError(f"unknown environment id {env_id!r}: {first_line(e)}") from None


def _family(env_id: str):
  """(what, extra) of the optional family `env_id` belongs to, or None."""
  entry_point = str(gym.spec(env_id).entry_point)
  return next((family for prefix, family in _FAMILIES.items() if entry_point.startswith(prefix)), None)


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
  except (gym.error.DependencyNotInstalled, ImportError) as e:   # an optional family (setup.py extras)
    family = _family(env_id)
    if family is None:
      raise ConfigError(f"cannot create {env_id}: {first_line(e)}") from None
    raise missing_extra_error(env_id, *family) from None
  except gym.error.Error as e:
    raise ConfigError(f"cannot create {env_id}: {first_line(e)}") from None
  try:
    check_spaces(*spaces(env), env_id)
  except ConfigError:
    env.close()
    raise
  return env


def make_env(env_id: str, **kwargs) -> gym.Env:
  """One environment; ALE/ ids get the Atari preprocessing of atari.py."""
  factory = atari.make_atari_env if atari.is_atari(env_id) else gym.make
  return _create(env_id, factory, lambda e: (e.observation_space, e.action_space), **kwargs)


def make_training_env(env_id: str, terminal_on_life_loss: bool = False, fire_reset: bool = False) -> gym.Env:
  """One env built like each sub-env of make_vector_env (vine branches restore trunk states into it)."""
  if atari.is_atari(env_id):
    return make_env(env_id, terminal_on_life_loss=terminal_on_life_loss, fire_reset=fire_reset)
  return make_env(env_id)


def make_vector_env(env_id: str, num_envs: int, mode: str = "sync",
                    terminal_on_life_loss: bool = False, fire_reset: bool = False) -> gym.vector.VectorEnv:
  """A vector env with gymnasium's default NEXT_STEP autoreset (handled in advantages.py)."""
  spaces = lambda e: (e.single_observation_space, e.single_action_space)
  if atari.is_atari(env_id):
    return _create(env_id, atari.make_atari_vector_env, spaces, num_envs=num_envs, vectorization_mode=mode,
                   terminal_on_life_loss=terminal_on_life_loss, fire_reset=fire_reset)
  return _create(env_id, gym.make_vec, spaces, num_envs=num_envs, vectorization_mode=mode)


def observation_dtype(observation_space: gym.Space):
  """uint8 for images (kept small until the network), float32 otherwise."""
  return np.uint8 if observation_space.dtype == np.uint8 else np.float32


def action_to_env(actions: np.ndarray, action_space: gym.Space) -> np.ndarray:
  """Gaussian samples are unbounded: clip to the Box for the simulator (the
  unclipped sample is what the update scores)."""
  if isinstance(action_space, gym.spaces.Box):
    return np.clip(actions, action_space.low, action_space.high)
  return actions
