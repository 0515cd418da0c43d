"""Deterministic evaluation: the policy's mode action, raw rewards, fresh seeded episodes."""

from typing import List, NamedTuple

import numpy as np
import tensorflow as tf

from trpo_tf.sampling.envs import action_to_env, make_env


class EvalResult(NamedTuple):
  mean_return: float
  std_return: float
  returns: List[float]
  lengths: List[int]


def evaluate_policy(policy, env_id: str, episodes: int, seed: int) -> EvalResult:
  """Runs `episodes` episodes of env_id with the deterministic policy (Gaussian mean / argmax)."""
  env = make_env(env_id)
  act = tf.function(policy.mode).get_concrete_function(
      tf.TensorSpec((1,) + env.observation_space.shape, tf.float32))
  returns, lengths = [], []
  try:
    for episode in range(episodes):
      obs, _ = env.reset(seed=seed + episode)
      total, length, done = 0.0, 0, False
      while not done:
        action = act(tf.constant(obs[None], tf.float32)).numpy()[0]
        obs, reward, terminated, truncated, _ = env.step(action_to_env(action, env.action_space))
        total += float(reward)
        length += 1
        done = terminated or truncated
      returns.append(total)
      lengths.append(length)
  finally:
    env.close()
  return EvalResult(float(np.mean(returns)) if returns else float("nan"),
                    float(np.std(returns)) if returns else float("nan"), returns, lengths)
