"""What every sampler hands the learner, and the interface samplers implement.

`Batch` is a [T, N] block of vector-env steps in the NEXT_STEP layout described
in advantages.py; a vine sampler adds its rollout set as `vine`. The learner
reads only these fields, so a new backend (EnvPool, Ray workers) plugs in by
producing a Batch, and the training loop never asks which sampler it has.
"""

import json
from typing import Dict, NamedTuple, Optional, Protocol, Sequence

import numpy as np
import tensorflow as tf


class VineData(NamedTuple):
  """The rollout set of one vine iteration (paper §5.2); see sampling/vine.py."""
  states: np.ndarray             # [N, *obs] rollout-set observations (raw)
  actions: np.ndarray            # [K, N, *act] first action of each branch
  partial_q: np.ndarray          # [K, N] Σ_t γ^t r_t over the branch (scaled rewards)
  bootstrap_obs: np.ndarray      # [K, N, *obs] observation where the branch was cut
  bootstrap_discount: np.ndarray  # [K, N] γ^len if cut by H or the time limit, 0 if terminated
  branch_steps: int              # simulator steps taken by the branches


class Batch(NamedTuple):
  obs: np.ndarray            # [T, N, *obs_shape] float32, or uint8 images; raw (the policy normalises)
  actions: np.ndarray        # [T, N, *act_shape] as sampled (unclipped)
  rewards: np.ndarray        # [T, N] float64, scaled by the RewardScaler
  terminated: np.ndarray     # [T, N] bool
  truncated: np.ndarray      # [T, N] bool
  valid: np.ndarray          # [T, N] bool, False on autoreset rows
  last_obs: np.ndarray       # [N, *obs_shape] observation after the last row
  episode_returns: Sequence[float] = ()   # raw returns of episodes completed in this batch
  episode_lengths: Sequence[int] = ()
  vine: Optional[VineData] = None     # vine sampling only: the branches from the rollout set
  sampler_metrics: Optional[Dict[str, float]] = None   # a backend's own scalars for the logs (Ray: restarts)

  @property
  def num_transitions(self) -> int:
    """Simulator steps this batch cost: valid rows plus any vine branch steps."""
    return int(np.sum(self.valid)) + (self.vine.branch_steps if self.vine is not None else 0)


class StepCounter(tf.train.experimental.PythonState):
  """The sampler's count of vector steps: it seeds the policy noise, so a resumed run
  draws what the original would have. Owned by the sampler, checkpointed as Python state."""

  def __init__(self, value: int = 0):
    self.value = int(value)

  def serialize(self) -> str:
    return json.dumps({"vector_steps": self.value})

  def deserialize(self, string_value) -> None:
    self.value = int(json.loads(string_value)["vector_steps"])


class Sampler(Protocol):
  """reset → collect … → close. `checkpointables()` names the state a resume needs."""

  observation_space: object
  action_space: object
  num_envs: int

  def reset(self, seed: int) -> None: ...

  def collect(self, actor, steps: int) -> Batch: ...

  def checkpointables(self) -> dict: ...

  def close(self) -> None: ...
