"""kl_per_action_dim: δ and λ per action dimension, the trust region sb3-contrib's TRPO takes.

With it a policy over d Gaussian action dims must take exactly the step of δ·d and λ·d, whose KL summed
over the dims (what trpo_tf bounds) is ≤ δ·d, i.e. averaged over them (what sb3-contrib bounds) ≤ δ;
a categorical policy (d = 1) is unaffected.
"""

import gymnasium as gym
import numpy as np
import pytest

from trpo_tf.config import NetworkConfig, TRPOConfig
from trpo_tf.networks import build_networks
from trpo_tf.trpo_step import STATUS_ACCEPTED, TRPOUpdater

OBS_SPACE = gym.spaces.Box(-np.inf, np.inf, (4,), np.float32)


def _step(action_space, actions, progress=None, **config):
  """The parameters after one update from a fixed initialisation and batch, and its TRPOInfo (`progress`:
  the training progress an annealed δ is set from first)."""
  import tensorflow as tf
  tf.keras.utils.set_random_seed(3)
  policy, _ = build_networks(OBS_SPACE, action_space, NetworkConfig(policy_hidden=(16,), value_hidden=(8,),
                                                                    normalize_observations=False))
  rng = np.random.default_rng(0)
  obs = rng.standard_normal((256, 4)).astype(np.float32)
  advantages = (rng.standard_normal(256) + obs[:, 0] - obs[:, 1]).astype(np.float32)
  updater = TRPOUpdater(policy, TRPOConfig(cg_iters=25, **config))
  if progress is not None:
    updater.set_progress(progress)
  info = updater.update(obs, actions(rng), advantages)
  assert int(info.status) == STATUS_ACCEPTED
  return [v.numpy() for v in policy.trainable_variables], info


def _assert_same(a, b):
  for x, y in zip(a, b):
    np.testing.assert_array_equal(x, y)


def test_the_config_scales_delta_and_damping_by_the_action_dims():
  assert TRPOConfig(max_kl=0.01, cg_damping=0.1).trust_region(6) == (0.01, 0.1)
  max_kl, damping = TRPOConfig(max_kl=0.01, cg_damping=0.1, kl_per_action_dim=True).trust_region(6)
  assert max_kl == pytest.approx(0.06) and damping == pytest.approx(0.6)


def test_a_gaussian_policy_steps_as_with_delta_and_damping_times_its_dims():
  space = gym.spaces.Box(-1, 1, (3,), np.float32)
  actions = lambda rng: rng.standard_normal((256, 3)).astype(np.float32)
  per_dim, info = _step(space, actions, max_kl=0.01, cg_damping=0.1, kl_per_action_dim=True)
  scaled, scaled_info = _step(space, actions, max_kl=0.03, cg_damping=0.3)
  plain, plain_info = _step(space, actions, max_kl=0.01, cg_damping=0.1)
  _assert_same(per_dim, scaled)
  assert float(info.mean_kl) == float(scaled_info.mean_kl)
  # The KL summed over the 3 dims is bounded by 3δ and here exceeds δ: the averaged KL is what δ bounds.
  assert 0.01 < float(info.mean_kl) <= 0.03 + 1e-6 and float(plain_info.mean_kl) <= 0.01 + 1e-6
  assert not all(np.array_equal(x, y) for x, y in zip(per_dim, plain))


def test_a_categorical_policy_is_unaffected():
  space = gym.spaces.Discrete(5)
  actions = lambda rng: rng.integers(0, 5, 256).astype(np.int32)
  per_dim, _ = _step(space, actions, max_kl=0.01, cg_damping=0.1, kl_per_action_dim=True)
  plain, _ = _step(space, actions, max_kl=0.01, cg_damping=0.1)
  _assert_same(per_dim, plain)
