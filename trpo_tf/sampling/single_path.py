"""Single-path sampling (paper §5.1) over a vector env.

Each `collect` runs the current policy for `steps` vector steps and returns a
[T, N] Batch (batch.py) in the NEXT_STEP layout described in advantages.py.
Episodes run across batch boundaries; rows that are autoreset steps are marked
invalid. The stepping is env_runner.py's (one runner here; one per Ray worker
in ray_sampler.py); `to_batch` joins the runners' segments along the env axis
and scales the rewards over time with the RewardScaler, exactly as if one
runner had stepped all N envs. `SinglePathSampler` owns the runner, the scaler
and the vector-step counter (both checkpointed).
"""

from typing import Callable, List, Optional

import numpy as np

from trpo_tf.normalization import RewardScaler
from trpo_tf.sampling.batch import Batch, StepCounter
from trpo_tf.sampling.env_runner import EnvRunner, Segment


def to_batch(segments: List[Segment], reward_scaler: RewardScaler) -> Batch:
  """Joins segments (in env order) along the env axis and scales their rewards step by step."""
  join = (lambda field: getattr(segments[0], field)) if len(segments) == 1 else \
      (lambda field: np.concatenate([getattr(s, field) for s in segments], axis=1))
  raw, terminated, truncated, valid = join("rewards"), join("terminated"), join("truncated"), join("valid")
  rewards = np.empty_like(raw)
  for t in range(len(raw)):   # the scaler's running statistics advance one vector step at a time
    rewards[t] = reward_scaler.scale(np.asarray(raw[t], np.float64), terminated[t] | truncated[t], valid[t])
  episodes = sorted(e for s in segments for e in s.episodes)   # (t, env): one runner's order
  last_obs = np.concatenate([s.last_obs for s in segments]) if len(segments) > 1 else segments[0].last_obs
  return Batch(obs=join("obs"), actions=join("actions"), rewards=rewards, terminated=terminated, truncated=truncated,
               valid=valid, last_obs=last_obs, episode_returns=[e[2] for e in episodes],
               episode_lengths=[e[3] for e in episodes])


class SinglePathSampler:
  """One EnvRunner over all envs, the reward scaler and the step counter (implements batch.Sampler)."""

  def __init__(self, env, reward_scaler: RewardScaler):
    self.runner = EnvRunner(env)
    self.env, self.reward_scaler = env, reward_scaler
    self.observation_space = env.single_observation_space
    self.action_space = env.single_action_space
    self.num_envs = env.num_envs
    self.counter = StepCounter()   # seeds the policy's sampling; checkpointed

  @property
  def vector_steps(self) -> int:
    return self.counter.value

  def checkpointables(self) -> dict:
    return {"reward_scaler": self.reward_scaler, "vector_steps": self.counter}

  def reset(self, seed: int) -> None:
    self.runner.reset(seed)

  def close(self) -> None:
    self.runner.close()

  def collect(self, actor, steps: int, before_step: Optional[Callable[[int, np.ndarray], None]] = None) -> Batch:
    """Runs `steps` vector steps with `actor` (see actors.py); `before_step` as in EnvRunner.run."""
    actor.start_batch(self.counter.value)
    segment = self.runner.run(actor, steps, before_step)
    self.counter.value += steps
    return to_batch([segment], self.reward_scaler)
