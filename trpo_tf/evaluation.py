"""Deterministic evaluation: the policy's mode action, raw rewards, fresh seeded episodes."""

from typing import Callable, List, NamedTuple, Optional

import numpy as np
import tensorflow as tf

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
