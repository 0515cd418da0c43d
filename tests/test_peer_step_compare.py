"""benchmarks/peer_step_compare.py loads a dumped update into trpo_tf's policy and measures both steps.

The peer itself needs PyTorch, which the test environment does not have: the dump here is written the way
peer_sb3.py --dump_update writes it, with trpo_tf's own update as the "peer" step, so the comparison
must find the two steps identical (ratio 1, cosine 1) and a KL summed over action dimensions of ≤ δ. (That
the names and transposes match sb3's layout was checked against sb3-contrib 2.9.2 itself: results README,
"Tenth round".)
"""

import os
import sys

import gymnasium as gym
import numpy as np
import pytest
import tensorflow as tf

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks"))
import peer_step_compare
from trpo_tf.config import NetworkConfig, TRPOConfig
from trpo_tf.networks import build_networks
from trpo_tf.trpo_step import TRPOUpdater


def _peer_dump(policy, prefix):
  out = {}
  for v in policy.trainable_variables:
    key, transposed = peer_step_compare.PEER_NAMES[v.path]
    out[prefix + key] = v.numpy().T if transposed else v.numpy()
  return out


@pytest.mark.parametrize("per_dim", [False, True])
def test_a_dump_of_trpo_tfs_own_step_compares_as_identical(capsys, per_dim):
  rng = np.random.default_rng(0)
  obs = rng.standard_normal((256, 5)).astype(np.float32)
  actions = rng.standard_normal((256, 3)).astype(np.float32)
  advantages = rng.standard_normal(256).astype(np.float32) + obs[:, 0]
  tf.keras.utils.set_random_seed(1)
  policy, _ = build_networks(gym.spaces.Box(-np.inf, np.inf, (5,), np.float32), gym.spaces.Box(-1, 1, (3,), np.float32),
                             NetworkConfig(normalize_observations=False))
  dump = dict(obs=obs, actions=actions, advantages=advantages, target_kl=np.float64(0.02),
              cg_iters=np.int64(25), cg_damping=np.float64(0.1), **_peer_dump(policy, "before/"))
  TRPOUpdater(policy, TRPOConfig(max_kl=0.02, cg_iters=25, cg_damping=0.1, kl_per_action_dim=per_dim)).update(
      obs, actions, advantages)
  dump.update(_peer_dump(policy, "after/"))
  result = peer_step_compare.compare(dump, kl_per_action_dim=per_dim)
  assert set(result) == set(peer_step_compare.PEER_NAMES)
  for name, r in result.items():
    assert r.ours > 0 and abs(r.peer / r.ours - 1) < 1e-4 and r.cosine > 1 - 1e-5, (name, r)
  out = capsys.readouterr().out
  summed = [float(line.split("summed over action dims ")[1].split(",")[0]) for line in out.splitlines() if "summed" in line]
  averaged = [float(line.split("averaged over them ")[1]) for line in out.splitlines() if "averaged" in line]
  assert len(summed) == 2 and summed[0] == summed[1] and averaged[0] == averaged[1]
  # 3 action dims: δ bounds the summed KL, or with kl_per_action_dim the averaged one (the peer's bound).
  assert 0 < (averaged[0] if per_dim else summed[0]) <= 0.02 + 1e-6
  assert (summed[0] > 0.02) == per_dim
