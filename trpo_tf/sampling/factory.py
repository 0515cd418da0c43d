"""Builds the sampler a SamplerConfig asks for (env backend and sampling scheme); the training
loop sees only batch.Sampler."""

import functools

from trpo_tf.config import SamplerConfig
from trpo_tf.normalization import RewardScaler
from trpo_tf.sampling.batch import Sampler
from trpo_tf.sampling.envs import make_training_env
from trpo_tf.sampling.rollout_worker import make_training_vector_env
from trpo_tf.sampling.single_path import SinglePathSampler
from trpo_tf.sampling.vine import VineSampler


def make_sampler(config: SamplerConfig, gamma: float, seed: int) -> Sampler:
  """A single-path or vine sampler over a new vector env (closed by the sampler's close()), or single-path
  sampling on Ray rollout workers."""
  if config.sampler_backend == "ray":
    from trpo_tf.sampling.ray_sampler import RaySampler   # imports Ray only when asked for
    return RaySampler(config, gamma, seed)
  env = make_training_vector_env(config, config.num_envs, seed)
  try:
    reward_scaler = RewardScaler(config.num_envs, gamma, config.reward_clip, config.normalize_rewards)
    if config.sampler == "vine":
      make_branch_env = functools.partial(make_training_env, config.env_id, config.terminal_on_life_loss,
                                          config.fire_reset)
      return VineSampler(env, reward_scaler, make_branch_env, config, gamma, seed)
    return SinglePathSampler(env, reward_scaler)
  except BaseException:
    env.close()
    raise
