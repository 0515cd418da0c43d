"""Where do EnvPool's and gymnasium's Breakout differ? Two checks, one report.

  python benchmarks/atari_trace.py [--game Breakout] [--steps 3000] [--life_steps 8000] [--seed 0]

1. Same actions, no randomness of either backend's own (no sticky actions, no reset
   no-ops; frame skip 4 with max-pooling, 84 x 84 grey frames): both get one action
   sequence (uniform over the minimal action set), a new game whenever one ends. Per
   agent step it compares the newest frame, reward, lives and game over, and prints
   the first step where each differs and how the frames differ there.
2. Life lengths of a uniform-random policy under the Atari benchmark's protocol (a
   lost life ends the training episode, FIRE serves each ball, sticky actions, up to
   30 no-ops) through trpo_tf's samplers' envs: gymnasium, the EnvPool backend, and
   the EnvPool backend as it was before it did life loss itself (EnvPool's own
   episodic_life), with noop_max 30 and 1. The random-policy parity test
   (envpool_parity.py --random --envs breakout) had found EnvPool lives of 15-21
   agent steps that gymnasium never shows.
Writes benchmarks/results/atari_trace_<game>.md.
"""

import argparse
import os
import sys
from typing import List

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from suite import RESULTS

from trpo_tf.sampling import atari


class Trace:
  """Per agent step: newest frame, reward, lives, game over."""

  def __init__(self):
    self.frames, self.rewards, self.lives, self.over = [], [], [], []

  def add(self, frame, reward, lives, over):
    self.frames.append(np.asarray(frame, np.uint8))
    self.rewards.append(float(reward))
    self.lives.append(int(lives))
    self.over.append(bool(over))

  def life_lengths(self):
    """Agent steps between consecutive lost lives (a new game starts a new count)."""
    lengths, count = [], 0
    for t in range(1, len(self.lives)):
      count += 1
      if self.over[t - 1]:
        count = 1
      elif self.lives[t] < self.lives[t - 1]:
        lengths.append(count)
        count = 0
    return lengths


def gymnasium_trace(game: str, actions: np.ndarray, seed: int) -> Trace:
  env = atari.make_atari_env(f"ALE/{game}-v5", noop_max=0)
  sticky = env
  while not isinstance(sticky, atari.StickyActions):
    sticky = sticky.env
  sticky.probability = 0.0
  trace = Trace()
  obs, info = env.reset(seed=seed)
  trace.add(obs[-1], 0.0, info["lives"], False)
  for a in actions:
    obs, reward, terminated, truncated, info = env.step(int(a))
    trace.add(obs[-1], reward, info["lives"], terminated or truncated)
    if terminated or truncated:
      obs, info = env.reset()
      trace.frames[-1] = obs[-1]   # the row the next action acts on
  env.close()
  return trace


def envpool_env(game: str, seed: int, terminal_on_life_loss: bool = False, fire_reset: bool = False, **overrides):
  """The EnvPool backend's one-env vector env, with some of its EnvPool settings replaced."""
  from trpo_tf.sampling.envpool_env import EnvPoolVectorEnv
  env = EnvPoolVectorEnv(f"ALE/{game}-v5", 1, terminal_on_life_loss=terminal_on_life_loss, fire_reset=fire_reset,
                         seed=seed)
  if overrides:
    env._kwargs.update(overrides)
    env._build(seed)
  return env


def envpool_trace(game: str, actions: np.ndarray, seed: int) -> Trace:
  env = envpool_env(game, seed, repeat_action_probability=0.0, noop_max=1)
  trace = Trace()
  obs, info = env.reset()
  trace.add(obs[0, -1], 0.0, info["lives"][0], False)
  for a in actions:
    obs, reward, terminated, truncated, info = env.step(np.array([a]))
    over = bool(terminated[0] or truncated[0])
    trace.add(obs[0, -1], reward[0], info["lives"][0], over)
    if over:   # the next step is the reset row: take it now, so both sides see the same action sequence
      obs, _, _, _, info = env.step(np.array([0]))
      trace.frames[-1] = obs[0, -1]
  env.close()
  return trace


def first_difference(a, b) -> int:
  """The first index where two equal-length sequences differ (-1 if none)."""
  for i, (x, y) in enumerate(zip(a, b)):
    if x != y:
      return i
  return -1


def life_lengths(env, steps: int, seed: int) -> np.ndarray:
  """Agent steps per training episode (a life) of a uniform-random policy on a one-env vector env."""
  rng, lengths, count, reset_row = np.random.default_rng(seed), [], 0, False
  env.reset(seed=seed)
  actions = env.single_action_space.n
  for _ in range(steps):
    _, _, terminated, truncated, _ = env.step(rng.integers(0, actions, 1))
    if not reset_row:   # a reset row (the step after an episode's end) belongs to no life
      count += 1
    reset_row = bool(terminated[0] or truncated[0])
    if reset_row:
      lengths.append(count)
      count = 0
  env.close()
  return np.array(lengths)


def life_envs(game: str, seed: int):
  """(name, one-env vector env) under the benchmark's protocol, incl. EnvPool's own episodic life."""
  from trpo_tf.sampling.envs import make_vector_env
  env_id = f"ALE/{game}-v5"
  yield "gymnasium", make_vector_env(env_id, 1, terminal_on_life_loss=True, fire_reset=True)
  yield "EnvPool backend", envpool_env(game, seed, terminal_on_life_loss=True, fire_reset=True)
  for noop_max in (30, 1):   # the backend before it did life loss itself
    yield f"EnvPool's episodic_life, noop_max {noop_max}", envpool_env(game, seed, fire_reset=True,
                                                                      episodic_life=True, noop_max=noop_max)


def trace_report(game: str, steps: int, seed: int) -> List[str]:
  action_count = len(atari.make_atari_env(f"ALE/{game}-v5").unwrapped.get_action_meanings())
  actions = np.random.default_rng(seed).integers(0, action_count, steps)
  gym_trace, pool_trace = gymnasium_trace(game, actions, seed), envpool_trace(game, actions, seed)
  n = min(len(gym_trace.frames), len(pool_trace.frames))
  pixel = [int(np.abs(gym_trace.frames[t].astype(int) - pool_trace.frames[t].astype(int)).max()) for t in range(n)]
  differing = [int((gym_trace.frames[t] != pool_trace.frames[t]).sum()) for t in range(n)]
  first_frame = next((t for t in range(n) if differing[t]), -1)
  lines = [f"## The same {steps} actions, no sticky actions, no no-ops", "",
           "| what | first agent step that differs |", "|---|---:|",
           f"| newest 84 x 84 frame | {first_frame} |",
           f"| reward | {first_difference(gym_trace.rewards, pool_trace.rewards)} |",
           f"| lives | {first_difference(gym_trace.lives, pool_trace.lives)} |",
           f"| game over | {first_difference(gym_trace.over, pool_trace.over)} |", ""]
  if first_frame >= 0:
    window = range(first_frame, min(n, first_frame + 6))
    lines += [f"The first actions: {actions[:first_frame + 1].tolist()}. Frames from the first difference on "
              "(pixels that differ, largest grey-level difference, rows and columns of the differing pixels):", ""]
    for t in window:
      where = np.argwhere(gym_trace.frames[t] != pool_trace.frames[t])
      lines.append(f"- step {t}: {differing[t]} pixels, up to {pixel[t]}; rows {where[:, 0].min()}-"
                   f"{where[:, 0].max()}, columns {sorted(set(where[:, 1].tolist()))}")
    lines.append("")
  lines.append(f"Frames that differ: {sum(1 for d in differing if d)} of {n}.")
  for name, trace in (("gymnasium", gym_trace), ("EnvPool", pool_trace)):
    lengths = trace.life_lengths()
    lines.append(f"- {name}: {sum(trace.over)} games, {len(lengths)} lives lost, shortest life "
                 f"{min(lengths, default=0)} agent steps, total reward {sum(trace.rewards):.0f}")
  return lines + [""]


def life_report(game: str, steps: int, seed: int) -> List[str]:
  lines = [f"## Random-policy life lengths, benchmark protocol ({steps} agent steps each)", "",
           "| env | lives | mean length | shortest | lives shorter than gymnasium's shortest |",
           "|---|---:|---:|---:|---:|"]
  shortest = None
  for name, env in life_envs(game, seed):
    lengths = life_lengths(env, steps, seed)
    shortest = lengths.min() if shortest is None else shortest
    lines.append(f"| {name} | {len(lengths)} | {lengths.mean():.1f} | {lengths.min()} | "
                 f"{100 * np.mean(lengths < shortest):.0f}% |")
  return lines + [""]


def compare(game: str, steps: int, life_steps: int, seed: int) -> str:
  return "\n".join([f"# {game} on gymnasium (ale-py) and EnvPool", "",
                    f"`benchmarks/atari_trace.py --game {game} --steps {steps} --life_steps {life_steps} "
                    f"--seed {seed}`", ""] + trace_report(game, steps, seed) + life_report(game, life_steps, seed))


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--game", default="Breakout")
  parser.add_argument("--steps", type=int, default=3000, help="agent steps (actions) in the sequence")
  parser.add_argument("--life_steps", type=int, default=8000, help="agent steps per env in the life-length check")
  parser.add_argument("--seed", type=int, default=0)
  args = parser.parse_args()
  report = compare(args.game, args.steps, args.life_steps, args.seed)
  path = os.path.join(RESULTS, f"atari_trace_{args.game.lower()}.md")
  with open(path, "w") as f:
    f.write(report)
  print(report + f"\n(written to {path})")


if __name__ == "__main__":
  main()
