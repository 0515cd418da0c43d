"""Deterministic evaluation: the policy's mode action, raw rewards, fresh seeded episodes.

Also the check that an exported model fits an environment before it plays one.
"""

from typing import Callable, List, Mapping, NamedTuple, Optional

import gymnasium as gym
import numpy as np
import tensorflow as tf

from trpo_tf.config import ConfigError
from trpo_tf.sampling.envs import action_to_env, make_env


class EvalResult(NamedTuple):
  mean_return: float
  std_return: float
  returns: List[float]
  lengths: List[int]


def run_episodes(env, act: Callable[[np.ndarray, int, int], np.ndarray], episodes: int, seed: int,
                 on_episode: Optional[Callable[[int, float, int], None]] = None) -> EvalResult:
  """Plays `episodes` episodes (episode i resets with seed + i); act(obs, episode, t) → action.

  Rewards are the environment's raw rewards; actions are clipped to a Box's bounds.
  """
  returns, lengths = [], []
  for episode in range(episodes):
    obs, _ = env.reset(seed=seed + episode)
    total, length, done = 0.0, 0, False
    while not done:
      action = act(np.asarray(obs), episode, length)
      obs, reward, terminated, truncated, _ = env.step(action_to_env(action, env.action_space))
      total, length, done = total + float(reward), length + 1, terminated or truncated
    returns.append(total)
    lengths.append(length)
    if on_episode is not None:
      on_episode(episode, total, length)
  return EvalResult(float(np.mean(returns)) if returns else float("nan"),
                    float(np.std(returns)) if returns else float("nan"), returns, lengths)


def evaluate_policy(policy, env_id: str, episodes: int, seed: int) -> EvalResult:
  """Runs `episodes` episodes of env_id with the deterministic policy (Gaussian mean / argmax)."""
  env = make_env(env_id)
  mode = tf.function(policy.mode).get_concrete_function(
      tf.TensorSpec((1,) + env.observation_space.shape, tf.float32))
  try:
    return run_episodes(env, lambda obs, *_: mode(tf.constant(obs[None], tf.float32)).numpy()[0],
                        episodes, seed)
  finally:
    env.close()


def check_model_fits_env(signatures: Mapping, name: str, observation_space, action_space, env_id: str) -> None:
  """ConfigError (one line) unless signature `name` maps env_id's observations to its actions.

  Read from the signatures' specs, before any episode, so a model played in the
  wrong environment is named as such instead of failing in its first step.
  """
  if name not in signatures:
    have = ", ".join(sorted(signatures)) or "none"
    raise ConfigError(f"the model has no {name!r} signature (it has: {have}); it is not a trpo_tf export")
  inputs, outputs = signatures[name].structured_input_signature[1], signatures[name].structured_outputs
  if "observations" not in inputs or "actions" not in outputs:
    raise ConfigError(f"the model's {name!r} signature does not map `observations` to `actions` (inputs: "
                      f"{', '.join(sorted(inputs))}; outputs: {', '.join(sorted(outputs))})")
  shape = inputs["observations"].shape[1:]
  if not shape.is_compatible_with(observation_space.shape):
    raise ConfigError(f"the model takes observations of shape {_shape(shape)}, but {env_id}'s are "
                      f"{_shape(observation_space.shape)}")
  choices = _categories(signatures)
  if not _fits(outputs["actions"], action_space) or choices not in (None, getattr(action_space, "n", None)):
    raise ConfigError(f"the model's actions ({_describe(outputs['actions'], signatures)}) do not fit {env_id}'s "
                      f"action space {action_space}")


def _shape(shape) -> str:
  return str(tuple(None if d is None else int(d) for d in shape))


def _fits(spec, space) -> bool:
  """Discrete spaces take integer scalars per row; Box spaces floats of their shape."""
  if isinstance(space, gym.spaces.Discrete):
    return spec.dtype.is_integer and spec.shape[1:].is_compatible_with(())
  return spec.dtype.is_floating and spec.shape[1:].is_compatible_with(space.shape)


def _categories(signatures: Mapping) -> Optional[int]:
  """The number of discrete actions, from a `distribution` signature's probabilities, when it tells."""
  dist = signatures.get("distribution")
  probs = dist.structured_outputs.get("probabilities") if dist is not None else None
  return None if probs is None or probs.shape[-1] is None else int(probs.shape[-1])


def _describe(spec, signatures: Mapping) -> str:
  n = _categories(signatures)
  return f"{spec.dtype.name}, shape {_shape(spec.shape[1:])}" + (f", {n} choices" if n is not None else "")
