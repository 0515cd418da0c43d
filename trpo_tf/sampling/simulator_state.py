"""Exact save/restore of a gymnasium environment's state, for vine sampling (paper §5.2).

A vine branch restarts the simulator at a state visited by the trunk, so the
whole wrapper chain must be captured, not just the physics:
  - MuJoCo: the integration state (mj_getState with mjSTATE_INTEGRATION: time,
    qpos, qvel, act, controls, applied forces and the solver warm start; the
    warm start makes replays bit-identical), then mj_forward for the derived
    quantities. Gymnasium's trunk steps leave those one physics substep stale
    (mj_step computes them before integrating), so a task whose reward reads
    them (Ant's body position) differs from the trunk in the first reward
    after a restore; all branches of one state still agree exactly;
  - ALE: clone_state(include_rng=True); ALE keeps its previous (sticky) action
    outside that state, so sticky actions are applied by atari.StickyActions,
    whose previous action and RNG are saved here;
  - classic control: the `state` vector (and CartPole's post-termination counter);
  - wrappers: TimeLimit's step counter, AtariPreprocessing's frame buffers and
    lives, EpisodicLife's lives and game-over flag, FrameStackObservation's
    frame queue.
Anything else raises ConfigError naming what cannot be restored, because a vine
rollout from a wrongly restored state would silently bias Q.
"""

import collections
import copy
from typing import Any, List, Tuple

import gymnasium as gym
import numpy as np

from trpo_tf.config import ConfigError

# Wrappers whose state does not influence later steps.
_STATELESS_WRAPPERS = ("OrderEnforcing", "PassiveEnvChecker", "FireReset")


def _mujoco_sig():
  import mujoco
  return mujoco.mjtState.mjSTATE_INTEGRATION


def _base_kind(base) -> str:
  module = type(base).__module__
  if module.startswith("gymnasium.envs.mujoco"):
    return "mujoco"
  if module.startswith("ale_py"):
    return "ale"
  if module.startswith("gymnasium.envs.classic_control"):   # `state` (Pendulum's appears at reset)
    return "classic"
  return ""


def _chain(env) -> Tuple[List[gym.Wrapper], Any]:
  wrappers = []
  while isinstance(env, gym.Wrapper):
    wrappers.append(env)
    env = env.env
  return wrappers, env


def check_restorable(env, env_id: str) -> None:
  """Raises ConfigError (one line) unless save_state/restore_state support `env`."""
  wrappers, base = _chain(env)
  if not _base_kind(base):
    raise ConfigError(f"vine sampling needs simulator state save/restore, which {env_id} "
                      f"({type(base).__name__}) does not support; use MuJoCo, ALE or classic-control "
                      "environments, or --sampler=single_path")
  for w in wrappers:
    if type(w).__name__ not in _STATELESS_WRAPPERS and not hasattr(_WrapperState, type(w).__name__):
      raise ConfigError(f"vine sampling cannot restore the state of wrapper {type(w).__name__} on {env_id}; "
                        "use --sampler=single_path")


class _WrapperState:
  """save/restore pairs per wrapper class name."""

  @staticmethod
  def TimeLimit(w, state=None):
    if state is None:
      return w._elapsed_steps
    w._elapsed_steps = state

  @staticmethod
  def AtariPreprocessing(w, state=None):
    if state is None:
      return ([b.copy() for b in w.obs_buffer], w.lives, w.game_over)
    buffers, w.lives, w.game_over = state
    for dst, src in zip(w.obs_buffer, buffers):
      dst[...] = src

  @staticmethod
  def EpisodicLife(w, state=None):
    if state is None:
      return w.lives, w.game_over
    w.lives, w.game_over = state

  @staticmethod
  def FrameStackObservation(w, state=None):
    if state is None:
      return (collections.deque((np.array(o, copy=True) for o in w.obs_queue), maxlen=w.obs_queue.maxlen),
              copy.deepcopy(w.padding_value))
    queue, padding = state
    w.obs_queue = collections.deque((o.copy() for o in queue), maxlen=queue.maxlen)
    w.padding_value = copy.deepcopy(padding)

  @staticmethod
  def StickyActions(w, state=None):
    if state is None:
      return w.last_action, copy.deepcopy(w.rng.bit_generator.state)
    w.last_action = state[0]
    w.rng.bit_generator.state = copy.deepcopy(state[1])


def save_state(env) -> tuple:
  """A snapshot of `env` (a single, non-vector env) that restore_state can reinstate, any number of times."""
  wrappers, base = _chain(env)
  kind = _base_kind(base)
  if kind == "mujoco":
    import mujoco
    sig = _mujoco_sig()
    buf = np.empty(mujoco.mj_stateSize(base.model, sig), np.float64)
    mujoco.mj_getState(base.model, base.data, buf, sig)
    core = buf
  elif kind == "ale":
    core = base.clone_state(include_rng=True)
  elif kind == "classic":
    core = (copy.deepcopy(base.state), copy.deepcopy(getattr(base, "steps_beyond_terminated", None)))
  else:
    raise ConfigError(f"cannot save the state of {type(base).__name__}")
  saved = [getattr(_WrapperState, type(w).__name__)(w) if hasattr(_WrapperState, type(w).__name__) else None
           for w in wrappers]
  return kind, core, saved


def restore_state(env, snapshot: tuple) -> None:
  """Puts `env` (built like the one saved from) back into the saved state."""
  kind, core, saved = snapshot
  wrappers, base = _chain(env)
  if _base_kind(base) != kind or len(wrappers) != len(saved):
    raise ValueError("restore_state: the snapshot comes from a differently built environment")
  if kind == "mujoco":
    import mujoco
    mujoco.mj_setState(base.model, base.data, core, _mujoco_sig())
    mujoco.mj_forward(base.model, base.data)   # positions etc. that rewards read (Ant's xpos)
  elif kind == "ale":
    base.restore_state(core)
  else:
    base.state = copy.deepcopy(core[0])
    if hasattr(base, "steps_beyond_terminated"):
      base.steps_beyond_terminated = copy.deepcopy(core[1])
  for w, state in zip(wrappers, saved):
    if state is not None:
      getattr(_WrapperState, type(w).__name__)(w, state)
