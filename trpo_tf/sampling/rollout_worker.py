"""What a Ray rollout worker runs: a shard of the training envs and a numpy copy of the policy.

No TensorFlow is imported here (or by anything this module imports), so a worker
process starts in about a second and holds ~100 MB, not TensorFlow's ~1 GB.
`make_training_vector_env` is also what the local samplers use (factory.py), so
a worker's envs are built exactly like the local ones.
"""

import os

from trpo_tf.config import SamplerConfig
from trpo_tf.sampling.env_runner import EnvRunner, Segment
from trpo_tf.sampling.envpool_env import EnvPoolVectorEnv
from trpo_tf.sampling.envs import make_vector_env
from trpo_tf.sampling.numpy_policy import NumpySampler, PolicySnapshot


def make_training_vector_env(config: SamplerConfig, num_envs: int, seed: int):
  """The training vector env of a config's backend with `num_envs` envs (EnvPool takes its seed here)."""
  if config.env_backend == "envpool":
    return EnvPoolVectorEnv(config.env_id, num_envs, config.env_threads, config.terminal_on_life_loss,
                            config.fire_reset, seed)
  return make_vector_env(config.env_id, num_envs, config.vector_mode, config.terminal_on_life_loss,
                         config.fire_reset)


class RolloutWorker:
  """Envs [offset, offset + count) of the sampler's `total` and the actor for those rows.

  Wrapped with ray.remote by ray_sampler.py; plain Python otherwise (tests use it directly).
  """

  def __init__(self, config: SamplerConfig, offset: int, count: int, total: int, seed: int):
    self.runner = EnvRunner(make_training_vector_env(config, count, seed + offset), offset)
    self.actor = NumpySampler(seed, offset, total, row_invariant=True)   # batches independent of the split

  def reset(self, seed: int) -> None:
    self.runner.reset(seed)

  def collect(self, snapshot: PolicySnapshot, vector_step: int, steps: int) -> Segment:
    """`steps` vector steps of this shard with the policy `snapshot`, noise seeded by `vector_step`."""
    self.actor.set_snapshot(snapshot)
    self.actor.start_batch(vector_step)
    return self.runner.run(self.actor, steps)

  def pid(self) -> int:
    return os.getpid()

  def close(self) -> None:
    self.runner.close()
