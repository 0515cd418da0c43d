"""EnvPool as a vector-env backend for single-path sampling (`--env_backend=envpool`).

EnvPool steps its environments in a C++ thread pool outside the GIL. Its
autoreset is gymnasium's NEXT_STEP (checked by tests/test_envpool.py): the step
that ends an episode returns the final observation with terminated/truncated;
the next step of that sub-env is a reset (action ignored, reward 0, no flags).
That is exactly the layout single_path.py and advantages.py handle, so
`EnvPoolVectorEnv` only adapts construction and seeding (EnvPool takes its seed
when the pool is built, so `reset(seed)` rebuilds the pool).

Tasks: EnvPool's MuJoCo v5 definitions, and ALE games configured to this
library's Atari protocol (sampling/atari.py): sticky actions p = 0.25 (EnvPool's
default is 0), up to 30 no-ops, frame skip 4 with max-pooling, 84×84 grey with
area resizing, a 4-frame stack, the v5 cap of 27,000 agent steps (108,000
frames), the minimal action set, and terminal_on_life_loss (a lost life ends the
training episode; the game goes on until the real game over). Three parts are done
here rather than by EnvPool:
- terminal_on_life_loss, as atari.EpisodicLife does it: the step that loses a life
  reports `terminated`, and the sub-env's next step (its reset row) is one NOOP that
  continues the game. EnvPool's own episodic_life restarts a next life through its
  reset, with up to 30 random no-ops, and then ~10% of Breakout's random-policy lives
  last 15-21 agent steps where gymnasium's never last under 22
  (benchmarks/atari_trace.py; with noop_max=1 EnvPool's do not either);
- the 4-frame stack (EnvPool steps single frames): at every reset, a new game's or,
  with episodic life, a next life's, it is filled with the reset frame, as
  gymnasium's FrameStackObservation does (EnvPool's own stack keeps the previous
  life's frames);
- fire_reset (EnvPool's use_fire_reset fires only at a new game, so after a lost
  life the ball is never served): after every reset row the sub-env takes one FIRE
  step whose observation replaces the reset observation and whose reward is
  dropped, as atari.FireReset does inside gymnasium's reset(); if that step ends
  the episode, the sub-env resets again without FIRE (FireReset's rule).
Spaces are the gymnasium env's, so networks and exports do not depend on the backend.
"""

from typing import Optional

import gymnasium as gym
import numpy as np

from trpo_tf.config import ConfigError
from trpo_tf.sampling import atari

MUJOCO_V5 = ("Ant-v5", "HalfCheetah-v5", "Hopper-v5", "Humanoid-v5", "HumanoidStandup-v5",
             "InvertedDoublePendulum-v5", "InvertedPendulum-v5", "Pusher-v5", "Reacher-v5", "Swimmer-v5",
             "Walker2d-v5")


def envpool_task(env_id: str) -> str:
  """EnvPool's name for a gymnasium id; ConfigError (one line) if EnvPool lacks it."""
  try:
    import envpool
  except ImportError:
    raise ConfigError("env_backend=envpool needs EnvPool, which is not installed: pip install 'trpo_tf[envpool]' "
                      "(the mujoco extra includes it; make train / make test install it), or pass "
                      "--env_backend=gymnasium") from None
  task = env_id[len("ALE/"):] if atari.is_atari(env_id) else env_id
  if (atari.is_atari(env_id) and task in envpool.list_all_envs()) or env_id in MUJOCO_V5:
    return task
  raise ConfigError(f"env_backend=envpool does not support {env_id!r}; it supports {', '.join(MUJOCO_V5)} and "
                    "ALE/<Game>-v5 ids (use --env_backend=gymnasium for anything else)")


class EnvPoolVectorEnv:
  """The part of gymnasium's VectorEnv API that the samplers use, over an EnvPool pool."""

  def __init__(self, env_id: str, num_envs: int, num_threads: int = 1, terminal_on_life_loss: bool = False,
               fire_reset: bool = False, seed: int = 0):
    self._task = envpool_task(env_id)
    self.num_envs, self._threads = num_envs, num_threads
    self._kwargs = {}
    if atari.is_atari(env_id):
      self._kwargs = dict(repeat_action_probability=atari.STICKY_PROBABILITY, noop_max=30, frame_skip=4,
                          stack_num=1, img_height=atari.SCREEN_SIZE, img_width=atari.SCREEN_SIZE,
                          gray_scale=True, use_inter_area_resize=True, max_episode_steps=27_000,
                          full_action_space=False, reward_clip=False, use_fire_reset=False,
                          episodic_life=False)   # life loss is done here (see the module docstring)
    from trpo_tf.sampling.envs import make_env   # the gymnasium env's spaces: the same networks either way
    reference = make_env(env_id)
    self.single_observation_space, self.single_action_space = reference.observation_space, reference.action_space
    meanings = reference.unwrapped.get_action_meanings() if atari.is_atari(env_id) else []
    reference.close()
    self._fire = meanings.index("FIRE") if fire_reset and "FIRE" in meanings else None
    self._ended = np.zeros(num_envs, bool)   # sub-envs whose next step is a reset row
    self._life_lost = np.zeros(num_envs, bool)   # ... of which these lost a life: the game goes on
    self._life_loss = terminal_on_life_loss and atari.is_atari(env_id)
    self._lives = np.zeros(num_envs, np.int64)
    self._frames = (np.zeros((num_envs,) + self.single_observation_space.shape, self.single_observation_space.dtype)
                    if atari.is_atari(env_id) else None)   # the frame stacks (Atari)
    self._pool, self._seed = None, None
    self._build(seed)

  def reset(self, seed: Optional[int] = None):
    if seed is not None and seed != self._seed:
      self._build(seed)
    obs, info = self._pool.reset()
    self._ended[:] = self._life_lost[:] = False
    every = np.ones(self.num_envs, bool)
    obs = self._stacked(self._fire_after_reset(obs, every), every)
    if self._life_loss:
      self._lives = np.array(info["lives"])
    return obs, info

  def step(self, actions: np.ndarray):
    actions = np.asarray(actions)
    if self._life_lost.any():   # NOOP: a lost life's reset row continues the game (EpisodicLife's reset)
      actions = np.where(self._life_lost, 0, actions)
    obs, reward, terminated, truncated, info = self._pool.step(actions)
    terminated, truncated = terminated.astype(bool), truncated.astype(bool)
    reset_rows = self._ended   # NEXT_STEP autoreset: these rows are resets
    if self._life_loss:
      lives = np.array(info["lives"])
      self._life_lost = (lives < self._lives) & ~terminated & ~truncated & ~reset_rows
      self._lives = lives
      terminated = terminated | self._life_lost
    obs = self._stacked(self._fire_after_reset(obs, reset_rows), reset_rows)
    self._ended = terminated | truncated
    return obs, reward, terminated, truncated, info

  def _stacked(self, obs: np.ndarray, reset_rows: np.ndarray) -> np.ndarray:
    """Atari: pushes each sub-env's new frame onto its stack; a reset row's stack is that frame 4 times."""
    if self._frames is None:
      return obs
    self._frames[:, :-1] = self._frames[:, 1:]
    self._frames[:, -1] = obs[:, -1]
    self._frames[reset_rows] = obs[reset_rows, -1:]
    return self._frames.copy()

  def _fire_after_reset(self, obs: np.ndarray, reset_rows: np.ndarray) -> np.ndarray:
    """fire_reset: one FIRE step for the sub-envs that were just reset; its observation replaces theirs."""
    ids = np.flatnonzero(reset_rows)
    if self._fire is None or ids.size == 0:
      return obs
    obs = obs.copy()
    fired, _, terminated, truncated, info = self._pool.step(np.full(ids.size, self._fire), env_id=ids)
    obs[info["env_id"]] = fired
    again = info["env_id"][terminated.astype(bool) | truncated.astype(bool)]
    if again.size:   # the FIRE step ended the episode: reset once more, without FIRE
      reset_obs, _, _, _, info = self._pool.step(np.zeros(again.size, np.int64), env_id=again)
      obs[info["env_id"]] = reset_obs
    return obs

  def close(self) -> None:
    if self._pool is not None:
      self._pool.close()
      self._pool = None

  def _build(self, seed: int) -> None:
    import envpool
    self.close()
    self._pool = envpool.make_gymnasium(self._task, num_envs=self.num_envs, num_threads=self._threads,
                                        seed=int(seed), **self._kwargs)
    self._seed = seed
    shape = self._pool.single_observation_space.shape
    if self._frames is not None:
      shape = (self._frames.shape[1],) + shape[1:]   # single frames, stacked here
    if shape != self.single_observation_space.shape or \
        _actions(self._pool.single_action_space) != _actions(self.single_action_space):
      raise ConfigError(f"EnvPool's {self._task} has spaces {self._pool.single_observation_space}, "
                        f"{self._pool.single_action_space}; gymnasium's differ")


def _actions(space: gym.Space):
  if isinstance(space, gym.spaces.Discrete):
    return ("discrete", int(space.n))
  return ("box", space.shape, tuple(np.asarray(space.low, np.float64).ravel()),
          tuple(np.asarray(space.high, np.float64).ravel()))
