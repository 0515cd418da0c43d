"""One TRPO update of trpo_tf and of the peer on the identical batch and parameters.

  .peer/bin/python benchmarks/peer_sb3.py --env_id=Ant-v4 --seed=0 --steps=0 --dump_update=/tmp/update.npz
  python benchmarks/peer_step_compare.py /tmp/update.npz [--max_kl=0.01] [--kl_per_action_dim]

Loads the peer's policy (64-64 tanh MLP, state-independent log σ) into trpo_tf's Gaussian policy (no
observation normaliser: the dump holds the observations as the peer's policy saw them), takes one
trpo_tf update (TRPOUpdater) with the dump's δ, CG iterations and damping on the same observations,
actions and advantages, and prints per variable the norm of both steps, their ratio and their cosine,
and each step's KL two ways: summed over action dimensions (trpo_tf's δ bounds this) and averaged over
them (what sb3-contrib's `kl_divergence(...).mean()` bounds for a diagonal Gaussian). With
--kl_per_action_dim trpo_tf counts δ and the damping per action dimension, as the peer does.
"""

import argparse
from typing import Dict, NamedTuple, Optional

import gymnasium as gym
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions

# trpo_tf variable path → (peer state_dict key, transposed)
PEER_NAMES = {
    "policy/log_std": ("log_std", False),
    "policy/policy_trunk/policy_trunk_0/kernel": ("mlp_extractor.policy_net.0.weight", True),
    "policy/policy_trunk/policy_trunk_0/bias": ("mlp_extractor.policy_net.0.bias", False),
    "policy/policy_trunk/policy_trunk_1/kernel": ("mlp_extractor.policy_net.2.weight", True),
    "policy/policy_trunk/policy_trunk_1/bias": ("mlp_extractor.policy_net.2.bias", False),
    "policy/mean/kernel": ("action_net.weight", True),
    "policy/mean/bias": ("action_net.bias", False),
}


class StepComparison(NamedTuple):
  ours: float      # ‖Δ‖ of trpo_tf's step
  peer: float      # ‖Δ‖ of the peer's step
  cosine: float    # cos(Δ_ours, Δ_peer)


def peer_value(dump, prefix: str, path: str) -> np.ndarray:
  key, transposed = PEER_NAMES[path]
  value = dump[prefix + key]
  return value.T if transposed else value


def compare(dump, max_kl: Optional[float] = None, kl_per_action_dim: bool = False) -> Dict[str, StepComparison]:
  """Steps both implementations took on the dump's batch, per trpo_tf variable; prints the KLs."""
  from trpo_tf.config import NetworkConfig, TRPOConfig
  from trpo_tf.networks import build_networks
  from trpo_tf.trpo_step import TRPOUpdater
  obs = dump["obs"].astype(np.float32)
  actions = dump["actions"].astype(np.float32)
  policy, _ = build_networks(gym.spaces.Box(-np.inf, np.inf, obs.shape[1:], np.float32),
                             gym.spaces.Box(-1.0, 1.0, actions.shape[1:], np.float32),
                             NetworkConfig(normalize_observations=False))
  before = {v.path: peer_value(dump, "before/", v.path) for v in policy.trainable_variables}
  for v in policy.trainable_variables:
    v.assign(before[v.path])
  dist_params = lambda: policy.dist_params(tf.constant(obs))
  old = dist_params()
  config = TRPOConfig(max_kl=float(dump["target_kl"]) if max_kl is None else max_kl,
                      cg_iters=int(dump["cg_iters"]), cg_damping=float(dump["cg_damping"]),
                      kl_per_action_dim=kl_per_action_dim)
  info = TRPOUpdater(policy, config).update(tf.constant(obs), tf.constant(actions),
                                            dump["advantages"].astype(np.float32))
  ours_params = dist_params()
  result = {}
  for v in policy.trainable_variables:
    ours, peer = v.numpy() - before[v.path], peer_value(dump, "after/", v.path) - before[v.path]
    norm_o, norm_p = float(np.linalg.norm(ours)), float(np.linalg.norm(peer))
    result[v.path] = StepComparison(norm_o, norm_p, float(np.dot(ours.ravel(), peer.ravel()) / (norm_o * norm_p + 1e-30)))
    v.assign(peer_value(dump, "after/", v.path))
  peer_params = dist_params()
  # KL(π_new ‖ π_old) per state and action dimension: the head's diagonal Gaussian, not summed over dimensions.
  per_dimension_kl = lambda new: tfd.kl_divergence(policy.head.distribution(new).distribution,
                                                   policy.head.distribution(old).distribution).numpy()
  ours_kl, peer_kl = per_dimension_kl(ours_params), per_dimension_kl(peer_params)
  per_dim = " per action dimension" if kl_per_action_dim else ""
  print(f"trpo_tf δ = {config.max_kl}{per_dim}: line-search tries {int(info.line_search_tries)}")
  for name, kl in (("trpo_tf", ours_kl), ("peer", peer_kl)):
    print(f"{name:8s} KL summed over action dims {kl.sum(-1).mean():.5f}, averaged over them {kl.mean():.5f}")
  return result


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("dump", help=".npz written by peer_sb3.py --dump_update")
  parser.add_argument("--max_kl", type=float, default=None, help="trpo_tf's δ (default: the peer's target_kl)")
  parser.add_argument("--kl_per_action_dim", action="store_true",
                      help="trpo_tf's δ and damping per action dimension (TRPOConfig.kl_per_action_dim)")
  args = parser.parse_args()
  with np.load(args.dump) as dump:
    result = compare(dump, args.max_kl, args.kl_per_action_dim)
  print(f"{'variable':45s} {'|Δ| trpo_tf':>12s} {'|Δ| peer':>10s} {'peer/ours':>10s} {'cos':>7s}")
  for name, r in result.items():
    print(f"{name:45s} {r.ours:12.5f} {r.peer:10.5f} {r.peer / max(r.ours, 1e-30):10.2f} {r.cosine:7.3f}")


if __name__ == "__main__":
  main()
