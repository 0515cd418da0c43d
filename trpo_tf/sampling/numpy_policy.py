"""A numpy copy of an MLP policy, for acting: no TensorFlow, so Ray rollout workers stay light.

`PolicySnapshot` holds the weights and normaliser statistics of a Gaussian or
categorical MLP policy (a few KB; actors.py takes it from the Keras policy once
per iteration). `NumpySampler` draws actions from it with a numpy Generator
reseeded from (seed, vector step) at the start of every batch. A shard of the
envs (a Ray worker's) draws the noise of all `total_rows` envs and keeps its own
rows, so any split of the envs acts exactly as one sampler over all of them.
"""

from typing import NamedTuple, Optional, Sequence, Tuple

import numpy as np

ACTIVATIONS = {
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0.0),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
}


class PolicySnapshot(NamedTuple):
  activation: str
  layers: Sequence[Tuple[np.ndarray, np.ndarray]]   # hidden (kernel, bias), float32
  out: Tuple[np.ndarray, np.ndarray]                # Gaussian mean or logits layer
  log_std: Optional[np.ndarray]                     # None: categorical
  normalizer: Optional[Tuple[np.ndarray, np.ndarray, np.float32]]   # (mean, std, clip), or None


def dist_inputs(snapshot: PolicySnapshot, obs: np.ndarray) -> np.ndarray:
  """Gaussian mean or logits for a batch of raw observations."""
  x = np.asarray(obs, np.float32)
  if snapshot.normalizer is not None:
    mean, std, clip = snapshot.normalizer
    x = np.clip((x - mean) / std, -clip, clip)
  act = ACTIVATIONS[snapshot.activation]
  for kernel, bias in snapshot.layers:
    x = act(x @ kernel + bias)
  return x @ snapshot.out[0] + snapshot.out[1]


class NumpySampler:
  """Stochastic actions from a PolicySnapshot; rows [offset, offset + n) of a `total_rows`-env batch."""

  def __init__(self, seed: int, offset: int = 0, total_rows: Optional[int] = None):
    self.seed, self.offset, self.total_rows = seed, offset, total_rows
    self.snapshot: Optional[PolicySnapshot] = None
    self._std = None
    self._rng = np.random.default_rng(seed)

  def set_snapshot(self, snapshot: PolicySnapshot) -> None:
    self.snapshot = snapshot
    self._std = None if snapshot.log_std is None else np.exp(snapshot.log_std)

  def start_batch(self, vector_step: int) -> None:
    self._rng = np.random.default_rng([self.seed, vector_step])

  def __call__(self, obs: np.ndarray) -> np.ndarray:
    out = dist_inputs(self.snapshot, obs)
    rows = slice(self.offset, self.offset + len(out))
    total = self.total_rows or len(out)
    if self._std is not None:
      noise = self._rng.standard_normal((total,) + out.shape[1:], np.float32)[rows]
      return (out + self._std * noise).astype(np.float32)
    gumbel = self._rng.gumbel(size=(total,) + out.shape[1:])[rows]
    return np.argmax(out + gumbel, axis=-1).astype(np.int32)   # Gumbel-max
