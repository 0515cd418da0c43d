"""The EnvPool backend: the same batch layout as gymnasium's (autoreset rows, terminated vs
truncated, final observations for bootstrapping), the same spaces, the Atari protocol, bad input."""

import os
import sys

import gymnasium as gym
import numpy as np
import pytest

from tests.helpers import ROOT, noop_trace, run_train
from trpo_tf.config import ConfigError, SamplerConfig
from trpo_tf.presets import preset
from trpo_tf.sampling.envpool_env import EnvPoolVectorEnv, envpool_task
from trpo_tf.sampling.factory import make_sampler

sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
import envpool_parity  # benchmarks/ is not a package: found through sys.path


class ConstantActor:
  """Always the same action: deterministic episodes whose ends we can predict."""

  def __init__(self, action):
    self.action = np.asarray(action)

  def start_batch(self, vector_step):
    pass

  def __call__(self, obs):
    return np.repeat(self.action[None], len(obs), axis=0)


def collect(backend, env_id, steps, action, num_envs=2, seed=0):
  sampler = make_sampler(SamplerConfig(env_id=env_id, num_envs=num_envs, env_backend=backend,
                                       normalize_rewards=False), gamma=0.99, seed=seed)
  sampler.reset(seed)
  batch = sampler.collect(ConstantActor(action), steps)
  sampler.close()
  return batch


def check_next_step_layout(batch):
  """Row t+1 after an episode end holds the final observation, is invalid, and earns nothing;
  the row after it starts the next episode."""
  T, N = batch.valid.shape
  done = batch.terminated | batch.truncated
  assert not (batch.terminated & ~batch.valid).any() and not (batch.truncated & ~batch.valid).any()
  for t, i in zip(*np.nonzero(done[:-1])):
    assert not batch.valid[t + 1, i] and batch.rewards[t + 1, i] == 0.0
    assert not done[t + 1, i]
    if t + 2 < T:
      assert batch.valid[t + 2, i] and not np.array_equal(batch.obs[t + 2, i], batch.obs[t + 1, i])
  assert batch.valid[1:][~done[:-1]].all()   # every other row is a real step


def test_truncation_layout_matches_gymnasium():
  """Swimmer never terminates: both backends truncate at the 1,000-step limit on the same row."""
  batches = {b: collect(b, "Swimmer-v5", 1003, np.zeros(2, np.float32)) for b in ("gymnasium", "envpool")}
  for batch in batches.values():
    check_next_step_layout(batch)
    assert not batch.terminated.any()
    assert batch.truncated[999].all() and batch.truncated.sum() == 2
    assert batch.episode_lengths == [1000, 1000]
  gym_batch, pool_batch = batches["gymnasium"], batches["envpool"]
  for field in ("valid", "terminated", "truncated"):
    np.testing.assert_array_equal(getattr(pool_batch, field), getattr(gym_batch, field))
  assert pool_batch.obs.dtype == gym_batch.obs.dtype == np.float32


def test_termination_layout_matches_gymnasium():
  """Hopper pushed by a constant action falls: terminated (not truncated), then an autoreset row."""
  batches = {b: collect(b, "Hopper-v5", 60, np.ones(3, np.float32)) for b in ("gymnasium", "envpool")}
  for backend, batch in batches.items():
    check_next_step_layout(batch)
    assert batch.terminated.sum() >= 2 and not batch.truncated.any(), backend
  ends = {b: np.argmax(batch.terminated, axis=0) for b, batch in batches.items()}
  # The same dynamics from slightly different initial noise: the falls happen within a step or two.
  assert np.abs(ends["gymnasium"] - ends["envpool"]).max() <= 2, ends


@pytest.mark.parametrize("env_id", ["Hopper-v5", "HalfCheetah-v5", "Walker2d-v5", "Swimmer-v5", "Ant-v5",
                                    "ALE/Breakout-v5"])
def test_spaces_are_gymnasiums(env_id):
  env = EnvPoolVectorEnv(env_id, 2)
  reference = gym.make(env_id) if not env_id.startswith("ALE/") else None
  pool_obs, pool_act = env._pool.single_observation_space, env._pool.single_action_space
  if reference is not None:
    assert pool_obs.shape == env.single_observation_space.shape
    assert pool_obs.shape == reference.observation_space.shape
    np.testing.assert_array_equal(pool_act.low, reference.action_space.low)
    np.testing.assert_array_equal(pool_act.high, reference.action_space.high)
    reference.close()
  else:
    # EnvPool steps single frames; the 4-frame stack is kept by EnvPoolVectorEnv
    assert pool_obs.dtype == np.uint8 and pool_obs.shape == (1, 84, 84) and pool_act.n == 4
    assert env.single_observation_space.shape == (4, 84, 84)
  obs, _ = env.reset(0)
  assert obs.shape == (2,) + env.single_observation_space.shape
  env.close()


@pytest.mark.parametrize("env_id", ["Hopper-v5", "Walker2d-v5", "HalfCheetah-v5", "Swimmer-v5", "Ant-v5"])
def test_one_step_dynamics_are_gymnasiums(env_id):
  """From the same state with the same action, an EnvPool step and a gymnasium step reach the same next
  observation to round-off: the two backends simulate one physics (benchmarks/envpool_parity.py --physics).
  EnvPool 1.2.5 carries MuJoCo 3.6; gymnasium on MuJoCo 3.6-3.17 matches it on all five tasks, on MuJoCo 4.0
  Ant's steps differ by ~4e-5 (a median; up to 1.0), on 3.3.6 Hopper's and Ant's by far more: so setup.py
  holds mujoco to >=3.6,<4. A step with contacts may differ within the constraint solver's tolerance, so the
  median step must agree to round-off and every step to 1e-4 (HalfCheetah's worst: 2.5e-6)."""
  errors = envpool_parity.one_step_errors(env_id)
  assert len(errors) >= 100 and np.median(errors) < 1e-9 and errors.max() < 1e-4, (len(errors), np.median(errors),
                                                                                 errors.max())


def test_atari_protocol_and_episodic_life():
  env = EnvPoolVectorEnv("ALE/Breakout-v5", 2, terminal_on_life_loss=True)
  config = env._pool.config
  assert config["repeat_action_probability"] == 0.25 and config["noop_max"] == 30
  assert config["frame_skip"] == 4 and config["max_episode_steps"] == 27_000
  assert config["stack_num"] == 1   # frames are stacked by EnvPoolVectorEnv, as gymnasium stacks them
  assert not config["use_fire_reset"] and not config["full_action_space"] and not config["reward_clip"]
  obs, info = env.reset(0)
  assert obs.shape == (2, 4, 84, 84) and obs.dtype == np.uint8
  assert all(np.array_equal(frame, obs[0, -1]) for frame in obs[0])   # a new game: its first frame 4 times
  rng = np.random.default_rng(0)
  lives = info["lives"].copy()
  losses, game_overs = 0, 0
  for _ in range(1500):
    _, _, terminated, truncated, info = env.step(rng.integers(0, 4, 2))
    for i in np.flatnonzero(terminated):
      losses += 1
      assert info["lives"][i] == lives[i] - 1          # a lost life ends the training episode ...
    for i in np.flatnonzero(info["lives"] > lives):
      game_overs += 1
      assert lives[i] == 0 and info["lives"][i] == 5   # ... and only a real game over resets the game
    lives = info["lives"].copy()
  assert losses >= 10 and game_overs >= 1
  env.close()
  assert not config["episodic_life"]   # life loss is EnvPoolVectorEnv's, as atari.EpisodicLife does it


def _noop_trace(env, steps):
  """noop_trace from a seeded reset, closing the env."""
  env.reset(seed=0)
  try:
    return noop_trace(env, steps)
  finally:
    env.close()


@pytest.mark.parametrize("fire_reset", [False, True])
def test_fire_reset_and_life_loss_follow_gymnasium(fire_reset):
  """Breakout serves only on FIRE. Doing nothing, fire_reset's FIRE after every reset (a new game's or a next
  life's) loses lives 5 → 0 and starts a new game, on both backends alike; without it no ball is ever lost.
  Every reset row's observation is the reset frame 4 times, as gymnasium's frame stack pads it."""
  from trpo_tf.sampling.envs import make_vector_env
  traces = {"gymnasium": _noop_trace(make_vector_env("ALE/Breakout-v5", 1, terminal_on_life_loss=True,
                                                     fire_reset=fire_reset), 300),
            "envpool": _noop_trace(EnvPoolVectorEnv("ALE/Breakout-v5", 1, terminal_on_life_loss=True,
                                                    fire_reset=fire_reset), 300)}
  for backend, (trace, reset_stacks) in traces.items():
    terminal_lives = [lives for lives, terminated in trace if terminated]
    if fire_reset:
      assert terminal_lives[:6] == [4, 3, 2, 1, 0, 4], (backend, terminal_lives)
      assert len(reset_stacks) >= 5
      for stack in reset_stacks:
        assert all(np.array_equal(frame, stack[-1]) for frame in stack), backend
    else:
      assert terminal_lives == [], (backend, terminal_lives)


def test_a_lost_lifes_reset_continues_the_game_as_gymnasium_does():
  """EnvPool's own episodic life restarts each next life with up to 30 random no-ops, after which ~12% of
  random-policy Breakout lives lasted 15-21 agent steps, shorter than any gymnasium life; the next life
  continuing with one NOOP (atari.EpisodicLife's rule) gives both backends the same shortest life."""
  from benchmarks.atari_trace import life_lengths   # the benchmark that measured it
  from trpo_tf.sampling.envs import make_vector_env
  kwargs = dict(terminal_on_life_loss=True, fire_reset=True)
  gym_lengths = life_lengths(make_vector_env("ALE/Breakout-v5", 1, **kwargs), 3000, seed=0)
  pool_lengths = life_lengths(EnvPoolVectorEnv("ALE/Breakout-v5", 1, **kwargs), 3000, seed=0)
  assert len(gym_lengths) > 50 and len(pool_lengths) > 50
  assert pool_lengths.min() >= gym_lengths.min(), (sorted(pool_lengths)[:10], sorted(gym_lengths)[:10])


def test_unsupported_ids_and_samplers_are_one_line_errors():
  with pytest.raises(ConfigError, match=r"env_backend=envpool does not support 'CartPole-v1'; it supports Ant-v5"):
    envpool_task("CartPole-v1")
  assert envpool_task("ALE/Pong-v5") == "Pong-v5"
  with pytest.raises(ConfigError, match="sampler=vine needs env_backend=gymnasium"):
    preset("hopper_vine").override(env_backend="envpool")


@pytest.mark.parametrize("flags, message", [
    (["--preset=cartpole", "--env_backend=envpool"], "env_backend=envpool does not support 'CartPole-v1'"),
    (["--preset=hopper_vine", "--env_backend=envpool"], "sampler=vine needs env_backend=gymnasium"),
    (["--env_backend=ray"], "env_backend must be one of gymnasium, envpool"),
])
def test_launcher_rejects_envpool_misuse(tmp_path, flags, message):
  proc = run_train(f"--run_dir={tmp_path / 'run'}", *flags, timeout=120)
  assert proc.returncode == 2
  lines = proc.stderr.strip().splitlines()
  assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], proc.stderr
  assert not (tmp_path / "run").exists()


def test_training_on_envpool_evaluates_on_gymnasium(tmp_path):
  from tests.helpers import train_run
  config = preset("hopper").override(env_backend="envpool", total_steps=4096, eval_episodes=1)
  trainer, result = train_run(config, tmp_path / "run")
  assert result.iterations >= 2 and result.env_steps >= 4096   # autoreset rows are not counted
  assert result.evaluation is not None and len(result.evaluation.returns) == 1
