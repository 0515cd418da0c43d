"""ALE environments with the standard preprocessing (Machado et al. 2018; Mnih et al. 2015).

ALE v5 ids (ALE/<Game>-v5) with sticky actions (p = 0.25, the v5 default,
applied per emulator frame by StickyActions below rather than inside ALE, so
that vine sampling can save and restore the repeated action), then
gymnasium's AtariPreprocessing: up to 30 no-op starts, frame skip 4 (max over
the last two frames), grey scale, 84×84; then a stack of the last 4 frames.
Observations stay uint8 end to end, shape (4, 84, 84): 28,224 bytes per stored
step, cast to float and scaled by 1/255 only inside the network.
terminal_on_life_loss ends training episodes at every lost life while the
game goes on (EpisodicLife below; off by default; evaluation never uses it).
fire_reset presses FIRE after every reset in games that need it to start
(Breakout: the ball is only served on FIRE), as in the DQN-era wrappers; with
terminal_on_life_loss that is after every life.
"""

import gymnasium as gym
import numpy as np

FRAME_STACK = 4
SCREEN_SIZE = 84
STICKY_PROBABILITY = 0.25   # ALE v5 default (Machado et al. 2018)


def is_atari(env_id: str) -> bool:
  return env_id.startswith("ALE/")


def register() -> None:
  """Registers the ALE/ ids with gymnasium (ale-py ships the ROMs)."""
  import ale_py
  gym.register_envs(ale_py)


class StickyActions(gym.Wrapper):
  """Each frame, repeats the previous action with probability p (ALE v5's rule; NOOP after reset).

  ALE keeps its own previous action outside clone_state, so a restored ALE
  state would replay with the wrong repeated action; here both the previous
  action and the RNG are plain attributes that simulator_state.py saves.
  """

  def __init__(self, env, probability: float = STICKY_PROBABILITY):
    super().__init__(env)
    self.probability = probability
    self.last_action = 0
    self.rng = np.random.default_rng()

  def reset(self, *, seed=None, options=None):
    if seed is not None:
      self.rng = np.random.default_rng([seed, 0x571C])
    self.last_action = 0
    return self.env.reset(seed=seed, options=options)

  def step(self, action):
    if self.rng.random() >= self.probability:
      self.last_action = action
    return self.env.step(self.last_action)


class EpisodicLife(gym.Wrapper):
  """A lost life ends the training episode; the game goes on with one life fewer (Mnih et al. 2015).

  step() reports `terminated` when ALE's lives counter drops. The vector env's
  autoreset then calls reset(), which continues the same game with one NOOP
  step instead of resetting ALE; only a real game over, a truncation or an
  explicitly seeded reset starts a new game. (gymnasium's own
  AtariPreprocessing(terminal_on_life_loss=True) resets the whole game there,
  so the agent would only ever play its first life.)
  """

  def __init__(self, env):
    super().__init__(env)
    self.lives = 0
    self.game_over = True

  def reset(self, *, seed=None, options=None):
    obs = info = None
    if not self.game_over and seed is None and options is None:
      obs, _, terminated, truncated, info = self.env.step(0)   # NOOP: the next life starts
      if terminated or truncated:
        obs = None
    if obs is None:
      obs, info = self.env.reset(seed=seed, options=options)
    self.game_over = False
    self.lives = self.env.unwrapped.ale.lives()
    return obs, info

  def step(self, action):
    obs, reward, terminated, truncated, info = self.env.step(action)
    self.game_over = bool(terminated or truncated)
    lives = self.env.unwrapped.ale.lives()
    if lives < self.lives:
      terminated = True
    self.lives = lives
    return obs, reward, terminated, truncated, info


class FireReset(gym.Wrapper):
  """Takes the FIRE action once after each reset (for games whose play starts on FIRE)."""

  def __init__(self, env):
    super().__init__(env)
    self._fire = env.unwrapped.get_action_meanings().index("FIRE")

  def reset(self, **kwargs):
    self.env.reset(**kwargs)
    obs, _, terminated, truncated, info = self.env.step(self._fire)
    if terminated or truncated:
      return self.env.reset(**kwargs)
    return obs, info


def make_atari_env(env_id: str, terminal_on_life_loss: bool = False, noop_max: int = 30,
                   fire_reset: bool = False, **kwargs) -> gym.Env:
  register()
  env = gym.make(env_id, frameskip=1, repeat_action_probability=0.0, **kwargs)  # both done by wrappers
  env = gym.wrappers.AtariPreprocessing(StickyActions(env), noop_max=noop_max, frame_skip=4, screen_size=SCREEN_SIZE,
                                        grayscale_obs=True, scale_obs=False)
  if terminal_on_life_loss:
    env = EpisodicLife(env)
  if fire_reset and "FIRE" in env.unwrapped.get_action_meanings():
    env = FireReset(env)
  return gym.wrappers.FrameStackObservation(env, FRAME_STACK)


def make_atari_vector_env(env_id: str, num_envs: int, vectorization_mode: str = "sync",
                          terminal_on_life_loss: bool = False, fire_reset: bool = False) -> gym.vector.VectorEnv:
  def factory():
    return make_atari_env(env_id, terminal_on_life_loss=terminal_on_life_loss, fire_reset=fire_reset)
  vector_cls = gym.vector.SyncVectorEnv if vectorization_mode == "sync" else gym.vector.AsyncVectorEnv
  return vector_cls([factory] * num_envs)
