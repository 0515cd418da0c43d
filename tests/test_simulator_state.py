"""Exact simulator save/restore (vine sampling's foundation): replays are bit-for-bit."""

import gymnasium as gym
import numpy as np
import pytest

from trpo_tf.config import ConfigError
from trpo_tf.sampling.envs import make_training_env
from trpo_tf.sampling.simulator_state import check_restorable, restore_state, save_state


def _rollout(env, actions):
  out = []
  for a in actions:
    obs, reward, terminated, truncated, _ = env.step(a)
    out.append((np.array(obs, copy=True), float(reward), bool(terminated), bool(truncated)))
    if terminated or truncated:
      break
  return out


def _assert_identical(a, b):
  assert len(a) == len(b)
  for (oa, *ra), (ob, *rb) in zip(a, b):
    np.testing.assert_array_equal(oa, ob)
    assert ra == rb   # exact float equality of rewards, same flags


@pytest.mark.parametrize("env_id, scale", [("Hopper-v5", 0.3), ("Swimmer-v5", 1.0), ("ALE/Pong-v5", None),
                                           ("CartPole-v1", None)])
def test_restore_replays_bit_for_bit_in_the_same_and_a_fresh_env(env_id, scale):
  env, fresh = make_training_env(env_id), make_training_env(env_id)
  env.reset(seed=1)
  fresh.reset(seed=99)                      # a different episode: everything must come from the snapshot
  env.action_space.seed(0)
  sample = (lambda: scale * env.action_space.sample()) if scale else env.action_space.sample
  for _ in range(5):
    env.step(sample())
  snapshot = save_state(env)
  actions = [sample() for _ in range(40)]
  original = _rollout(env, actions)
  assert len(original) >= 5
  restore_state(env, snapshot)
  _assert_identical(original, _rollout(env, actions))
  restore_state(fresh, snapshot)
  _assert_identical(original, _rollout(fresh, actions))
  # Two restores of one snapshot are independent: the snapshot is not consumed or mutated.
  restore_state(fresh, snapshot)
  _assert_identical(original, _rollout(fresh, actions))


def test_ale_sticky_actions_are_part_of_the_state():
  """ALE keeps its repeated action outside clone_state; ours is restored, so the previous action
  taken before the restore cannot leak into the replay."""
  env = make_training_env("ALE/Breakout-v5")
  env.reset(seed=3)
  for a in (1, 3, 2, 3, 2):
    env.step(a)
  snapshot = save_state(env)
  actions = list(np.random.default_rng(0).integers(0, 4, 50))
  original = _rollout(env, actions)
  for previous in (0, 1, 2, 3):
    env.step(previous)
    restore_state(env, snapshot)
    _assert_identical(original, _rollout(env, actions))


def test_time_limit_counter_is_restored():
  env = make_training_env("CartPole-v1")   # 500-step limit
  env.reset(seed=0)
  limit = env.spec.max_episode_steps
  env.unwrapped.state = np.zeros(4)
  for _ in range(limit - 3):
    env.unwrapped.state = np.zeros(4)      # keep the pole up so only the time limit can end it
    env.step(0)
  snapshot = save_state(env)
  env.reset(seed=1)
  restore_state(env, snapshot)
  flags = []
  for _ in range(3):
    env.unwrapped.state = np.zeros(4)
    flags.append(env.step(0)[3])
  assert flags == [False, False, True]


class _Opaque(gym.Env):
  observation_space = gym.spaces.Box(-1, 1, (2,), np.float32)
  action_space = gym.spaces.Discrete(2)

  def reset(self, *, seed=None, options=None):
    return np.zeros(2, np.float32), {}

  def step(self, action):
    return np.zeros(2, np.float32), 0.0, False, False, {}


def test_environments_without_state_access_are_rejected_in_one_line():
  with pytest.raises(ConfigError, match=r"vine sampling needs simulator state save/restore, which Opaque-v0"):
    check_restorable(gym.wrappers.TimeLimit(_Opaque(), 10), "Opaque-v0")
  hopper = gym.wrappers.ClipReward(gym.make("Hopper-v5"), -1, 1)
  with pytest.raises(ConfigError, match="cannot restore the state of wrapper ClipReward"):
    check_restorable(hopper, "Hopper-v5")


@pytest.mark.parametrize("env_id", ["Pendulum-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Acrobot-v1"])
def test_classic_control_is_restorable_before_its_first_reset(env_id):
  """Pendulum's and MountainCar's `state` only appears at reset; the check runs before it (preflight)."""
  env = make_training_env(env_id)
  check_restorable(env, env_id)
  env.reset(seed=0)
  snapshot = save_state(env)
  actions = [env.action_space.sample() for _ in range(20)]
  first = _rollout(env, actions)
  restore_state(env, snapshot)
  _assert_identical(first, _rollout(env, actions))
  env.close()
