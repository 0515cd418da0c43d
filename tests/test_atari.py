"""Atari: preprocessing, CNN shapes, CNN Fisher-vector products, smoke training and image export."""

import gymnasium as gym
import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import noop_trace
from tests.test_fisher import categorical_fisher_by_enumeration
from trpo_tf.config import FVP_MODES, NetworkConfig
from trpo_tf.fisher import make_fvp
from trpo_tf.networks import build_networks
from trpo_tf.presets import ATARI_GAMES, preset
from trpo_tf.sampling.actors import TFActor, make_actor
from trpo_tf.sampling.envs import make_env, make_vector_env

IMAGE_SPACE = gym.spaces.Box(0, 255, (4, 84, 84), np.uint8)


def test_preprocessing_shapes_and_dtypes():
  env = make_env("ALE/Pong-v5")
  obs, _ = env.reset(seed=0)
  assert env.observation_space == IMAGE_SPACE and obs.shape == (4, 84, 84) and obs.dtype == np.uint8
  obs, reward, *_ = env.step(env.action_space.sample())
  assert obs.dtype == np.uint8 and obs.nbytes == 28_224 and isinstance(env.action_space, gym.spaces.Discrete)
  env.close()
  venv = make_vector_env("ALE/Breakout-v5", 2, terminal_on_life_loss=True)
  obs, _ = venv.reset(seed=0)
  assert obs.shape == (2, 4, 84, 84) and obs.dtype == np.uint8
  venv.close()


@pytest.mark.parametrize("cnn, flat_units", [("paper", 20), ("nature", 512)])
def test_cnn_output_shapes(cnn, flat_units):
  policy, value = build_networks(IMAGE_SPACE, gym.spaces.Discrete(6), NetworkConfig(cnn=cnn))
  frames = np.random.default_rng(0).integers(0, 256, (5, 4, 84, 84), dtype=np.uint8)
  (logits,) = policy.dist_params(frames)
  assert logits.shape == (5, 6) and value(frames).shape == (5,)
  assert policy.trunk(frames).shape == (5, flat_units)
  assert not policy.normalizer.enabled   # images are scaled by 1/255 in the network instead
  assert isinstance(make_actor(policy, "numpy", (5, 4, 84, 84), 0, tf.uint8), TFActor)


@pytest.mark.parametrize("mode", FVP_MODES)
def test_cnn_fvp_equals_enumerated_fisher(mode):
  space = gym.spaces.Box(0, 255, (4, 12, 12), np.uint8)   # small frames keep the matrix small
  tf.keras.utils.set_random_seed(0)
  policy, _ = build_networks(space, gym.spaces.Discrete(3), NetworkConfig(cnn="paper"))
  for v in policy.trainable_variables:
    v.assign(tf.random.normal(v.shape, stddev=0.3, seed=2))
  frames = tf.constant(np.random.default_rng(1).integers(0, 256, (4, 4, 12, 12), dtype=np.uint8))
  fisher = categorical_fisher_by_enumeration(policy, frames)
  fvp = make_fvp(policy, frames, policy.dist_params(frames), damping=0.0, mode=mode)
  v = np.random.default_rng(3).standard_normal(fisher.shape[0]).astype(np.float32)
  np.testing.assert_allclose(fvp(tf.constant(v)).numpy(), fisher @ v, rtol=2e-3, atol=2e-5)


def test_presets_cover_the_papers_games():
  assert sorted(ATARI_GAMES) == ["beamrider", "breakout", "enduro", "pong", "qbert", "seaquest", "spaceinvaders"]
  for name in ATARI_GAMES:
    config = preset(name)
    assert config.sampler.env_id.startswith("ALE/") and config.network.cnn == "paper"


def test_smoke_training_and_image_export(tmp_path):
  from tests.helpers import train_run
  config = preset("breakout").override(total_steps=512, num_envs=2, steps_per_env=128, eval_episodes=0,
                                       export_dir=str(tmp_path / "models"))
  trainer, result = train_run(config, tmp_path / "run")
  assert result.iterations >= 2 and len(trainer.exports) == 1
  loaded = tf.saved_model.load(trainer.exports[0])
  serve = loaded.signatures["serving_default"]
  assert serve.structured_input_signature[1]["observations"].dtype == tf.uint8
  frames = np.random.default_rng(0).integers(0, 256, (3, 4, 84, 84), dtype=np.uint8)
  np.testing.assert_array_equal(serve(observations=tf.constant(frames))["actions"].numpy(),
                                np.argmax(trainer.policy.dist_params(frames)[0].numpy(), -1))


def test_fire_reset_serves_the_ball():
  """Breakout only serves on FIRE: doing nothing never ends a life unless fire_reset fires."""
  def steps_until_terminal(**kwargs):
    env = make_vector_env("ALE/Breakout-v5", 1, terminal_on_life_loss=True, **kwargs)
    env.reset(seed=0)
    for t in range(150):
      _, _, terminated, _, _ = env.step(np.zeros(1, np.int64))   # NOOP
      if terminated[0]:
        env.close()
        return t
    env.close()
    return None
  assert steps_until_terminal(fire_reset=False) is None
  assert steps_until_terminal(fire_reset=True) is not None


def test_terminal_on_life_loss_continues_the_game():
  """A lost life ends the training episode but not the game: lives go 5, 4, ..., 0, then a new game.

  (gymnasium's AtariPreprocessing(terminal_on_life_loss=True) under NEXT_STEP autoreset reset the
  whole game at every lost life, so the agent only ever played its first life.)
  """
  env = make_vector_env("ALE/Breakout-v5", 1, terminal_on_life_loss=True, fire_reset=True)
  env.reset(seed=0)
  trace, _ = noop_trace(env, 400)
  env.close()
  terminal_lives = [lives for lives, terminated in trace if terminated]
  assert terminal_lives[:6] == [4, 3, 2, 1, 0, 4], terminal_lives   # a real game over (0) starts a new game
  for (lives, terminated), (next_lives, _) in zip(trace, trace[1:]):
    if terminated and lives > 0:
      assert next_lives == lives      # the autoreset row continues the same game
    if terminated and lives == 0:
      assert next_lives == 5          # game over: a fresh game


def test_without_life_loss_terminals_a_lost_life_is_not_terminal():
  """FIRE only after the reset: the first ball is lost (5 → 4 lives) and nothing ends the episode."""
  env = make_vector_env("ALE/Breakout-v5", 1, fire_reset=True)
  env.reset(seed=0)
  trace, _ = noop_trace(env, 300)
  env.close()
  assert trace[-1][0] == 4 and not any(terminated for _, terminated in trace)


def test_vine_smoke_training_with_a_cnn_policy(tmp_path):
  """Vine on ALE: trunk states restored into branch envs, one branch per action, TF-acted CNN policy."""
  import csv
  from tests.helpers import train_run
  config = preset("breakout_vine").override(total_steps=400, num_envs=2, steps_per_env=16, vine_states=3,
                                            vine_rollout_length=4, eval_episodes=0)
  trainer, result = train_run(config, tmp_path / "run")
  assert trainer.sampler.num_branches == 4          # Breakout's 4 actions, all of them
  assert result.iterations >= 2
  with open(tmp_path / "run" / "progress.csv") as f:
    rows = list(csv.DictReader(f))
  # Each iteration: 32 trunk steps + 3 states × 4 actions × ≤ 4 branch steps.
  steps = [int(r["env_steps"]) for r in rows]
  assert all(28 + 12 <= b - a <= 32 + 48 for a, b in zip([0] + steps, steps))   # (autoreset rows excepted)
  assert any(float(r["trpo/accepted"]) for r in rows)
