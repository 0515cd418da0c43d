"""Builds the pieces of a native training run from an ExperimentConfig.

The builder's role in Acme's split: it knows which sampler, networks, learner
and actor a config asks for; the loop (trainer.py) only drives them.
"""

from typing import NamedTuple

import tensorflow as tf

from trpo_tf.config import ExperimentConfig
from trpo_tf.learner import TRPOLearner
from trpo_tf.networks import Policy, ValueNetwork, build_networks
from trpo_tf.sampling.actors import make_actor
from trpo_tf.sampling.batch import Sampler
from trpo_tf.sampling.envs import observation_dtype
from trpo_tf.sampling.factory import make_sampler


class Components(NamedTuple):
  sampler: Sampler
  policy: Policy
  value_net: ValueNetwork
  learner: TRPOLearner
  actor: object           # sampling/actors.py: turns observations into actions for the sampler


def build_components(config: ExperimentConfig, overlap_value_fit: bool = True) -> Components:
  """Sampler (owning its envs), networks, learner and actor, in a fixed order (seeded runs repeat)."""
  sc, seed = config.sampler, config.run.seed
  sampler = make_sampler(sc, config.trpo.gamma, seed)
  try:
    obs_space = sampler.observation_space
    policy, value_net = build_networks(obs_space, sampler.action_space, config.network)
    learner = TRPOLearner(policy, value_net, config.trpo, seed, sc.vine_bootstrap, overlap_value_fit)
    actor = make_actor(policy, sc.act_backend, (sc.num_envs,) + obs_space.shape, seed,
                       tf.as_dtype(observation_dtype(obs_space)))
  except BaseException:
    sampler.close()
    raise
  return Components(sampler, policy, value_net, learner, actor)
