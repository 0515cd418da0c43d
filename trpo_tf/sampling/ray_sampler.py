"""Single-path sampling on Ray rollout workers (`--sampler_backend=ray`).

The N training envs are split into `num_workers` contiguous shards; each Ray
actor (rollout_worker.py: no TensorFlow) steps its shard with a numpy copy of the
policy. Per iteration the learner's side:
  1. puts the policy snapshot (weights and normaliser statistics, a few KB) in the
     object store once; every worker reads it;
  2. asks every worker for `steps` vector steps, seeded by the shared vector-step
     counter, and gathers the segments (raw rewards);
  3. joins them along the env axis and scales the rewards over time (to_batch),
     so the Batch is exactly the local sampler's for the same seed and layout.
A worker that dies is replaced (fresh envs, a new reproducible seed) and its
shard collected again with the same policy; the event is logged and counted
(`sampler/worker_restarts`, in progress.csv and TensorBoard). The reward
scaler, the counter and the episode statistics stay on the learner's side.
"""

import logging
import time

import numpy as np

from trpo_tf.config import SamplerConfig, first_line
from trpo_tf.normalization import RewardScaler
from trpo_tf.sampling.batch import Batch, StepCounter
from trpo_tf.sampling.envs import make_env
from trpo_tf.sampling.ray_cluster import check_capacity, connect, shards
from trpo_tf.sampling.rollout_worker import RolloutWorker
from trpo_tf.sampling.single_path import to_batch

_LOG = logging.getLogger(__name__)


class RaySampler:
  """Implements batch.Sampler with `config.num_workers` Ray actors (see the module docstring)."""

  def __init__(self, config: SamplerConfig, gamma: float, seed: int):
    self.ray = connect(config.ray_address)
    self.config, self.seed = config, seed
    self.num_envs = config.num_envs
    check_capacity(self.ray, config.num_workers)
    reference = make_env(config.env_id)   # the spaces (networks and exports do not depend on the backend)
    self.observation_space, self.action_space = reference.observation_space, reference.action_space
    reference.close()
    self.reward_scaler = RewardScaler(config.num_envs, gamma, config.reward_clip, config.normalize_rewards)
    self.counter = StepCounter()
    self.restarts = 0
    self._remote = self.ray.remote(num_cpus=1)(RolloutWorker)
    self._shards = shards(config.num_envs, config.num_workers)
    self._reset_seed = seed
    self.workers = [self._start(offset, count) for offset, count in self._shards]

  @property
  def vector_steps(self) -> int:
    return self.counter.value

  def checkpointables(self) -> dict:
    return {"reward_scaler": self.reward_scaler, "vector_steps": self.counter}

  def reset(self, seed: int) -> None:
    self._reset_seed = seed
    self.ray.get([w.reset.remote(seed) for w in self.workers])

  def collect(self, actor, steps: int) -> Batch:
    """`steps` vector steps on every worker with `actor`'s policy (a NumpyMLPActor: its snapshot)."""
    started = time.perf_counter()
    snapshot = self.ray.put(actor.snapshot)
    put = time.perf_counter()
    step = self.counter.value
    pending = [w.collect.remote(snapshot, step, steps) for w in self.workers]
    segments = [self._gather(i, ref, snapshot, step, steps) for i, ref in enumerate(pending)]
    gathered = time.perf_counter()
    self.counter.value += steps
    batch = to_batch(segments, self.reward_scaler)
    # Costs per iteration (TensorBoard; benchmarks/ray_scaling.py): the snapshot's put, the slowest
    # worker's stepping, and everything from the first request to the last segment received.
    return batch._replace(sampler_metrics={
        "sampler/worker_restarts": float(self.restarts), "sampler/broadcast_seconds": put - started,
        "sampler/worker_seconds": max(s.seconds for s in segments), "sampler/collect_seconds": gathered - put,
        "sampler/join_seconds": time.perf_counter() - gathered})

  def close(self) -> None:
    for w in self.workers:
      try:
        self.ray.get(w.close.remote(), timeout=30)
        self.ray.kill(w)
      except Exception:   # a dead worker has nothing left to close
        pass
    self.workers = []

  # -- private --------------------------------------------------------------

  def _start(self, offset: int, count: int):
    """A worker for envs [offset, offset + count); its policy noise follows the run's seed."""
    return self._remote.remote(self.config, offset, count, self.config.num_envs, self.seed)

  def _gather(self, index: int, ref, snapshot, step: int, steps: int):
    """The segment of worker `index`, collected again on a replacement worker if it died."""
    from ray.exceptions import RayActorError
    try:
      return self.ray.get(ref)
    except RayActorError as e:
      offset, count = self._shards[index]
      # A new, reproducible seed: the replacement's envs start fresh episodes, unlike the lost ones.
      seed = int(np.random.SeedSequence([self._reset_seed, step, index]).generate_state(1)[0] % (2 ** 31 - count - offset))
      self.restarts += 1
      _LOG.warning("rollout worker %d (envs %d-%d) died at vector step %d (%s); replaced, its shard collected "
                   "again (%d restarts so far)", index, offset, offset + count - 1, step,
                   first_line(e), self.restarts)
      worker = self._start(offset, count)
      self.workers[index] = worker
      self.ray.get(worker.reset.remote(seed))
      self.reward_scaler.restart(slice(offset, offset + count))
      return self.ray.get(worker.collect.remote(snapshot, step, steps))
