"""How Ant-v5 evaluation episodes end (issue 13): walked, stalled, flipped onto its back, or terminated.

Replays a finished run's final deterministic evaluation (the same episode seeds, `seed + EVAL_SEED_OFFSET + i`,
on gymnasium's env; the returns are checked against the run's eval.json) and classifies each episode:

  walked     1,000 steps, the torso upright at the end and still moving forward
  stalled    upright, but from step t to the end (at least STALL_STEPS steps) the torso's x stays within
             STALL_DISTANCE: the Ant stands or shuffles in place, earning the healthy reward less the control
             cost (a walking gait covers ~4 m/s: 20 m in STALL_STEPS steps); t is the earliest such step, so a
             slow drift shows as a later stall
  flipped    the torso upside down (its up axis pointing below the horizon) from step t to the end: Ant-v5
             does not terminate there (the torso stays inside healthy_z_range), it earns the healthy reward
             and little else for the rest of the episode
  jump       terminated with the torso above healthy_z_range (z > 1.0)
  fall       terminated with the torso below it (z < 0.2)

  .venv/bin/python benchmarks/ant_endings.py benchmarks/runs/ant-envpool-1000k-s{0,1,2,3,4} [--episodes 10]
      [--md benchmarks/results/ablations/ant_endings.md]

Each run's checkpoint is exported to a temporary directory with launchers/export.py and played through its
serving signature (the deterministic policy a user deploys).
"""

import argparse
import os
import tempfile
from typing import List, NamedTuple

import numpy as np
from suite import CONFIG_FILE, EVAL_FILE, export_run, read_json, serving_actor   # also puts the repository root (trpo_tf) on sys.path

UPSIDE_DOWN = 0.0              # z-component of the torso's up axis below this: upside down
STALL_STEPS = 100              # 5 s of Ant-v5 (dt 0.05 s) or more ...
STALL_DISTANCE = 2.0           # ... with the torso's x inside a 2 m range: 0.4 m/s at most, a tenth of a gait


class Episode(NamedTuple):
  ret: float
  length: int
  ending: str
  since: int             # the step the flip or the stall began; -1 for the other endings


def up_axis_z(quaternion: np.ndarray) -> float:
  """z-component of the body's local z axis for a unit quaternion (w, x, y, z): 1 upright, −1 upside down."""
  _, x, y, _ = quaternion
  return float(1.0 - 2.0 * (x * x + y * y))


def stalled_since(x: np.ndarray) -> int:
  """The first step from which the torso's x stays inside a STALL_DISTANCE range to the episode's end, if that
  lasts STALL_STEPS steps or more; else -1."""
  rest_max = np.maximum.accumulate(x[::-1])[::-1]     # max(x[t:]) for every t
  rest_min = np.minimum.accumulate(x[::-1])[::-1]
  still = np.flatnonzero(rest_max - rest_min <= STALL_DISTANCE)
  return int(still[0]) if len(still) and len(x) - still[0] >= STALL_STEPS else -1


def classify(terminated: bool, length: int, z: np.ndarray, up: np.ndarray, x: np.ndarray) -> (str, int):
  """The ending of one episode from its torso heights, up-axis z-components and x positions, step by step."""
  if terminated:
    return ("jump" if z[-1] > 1.0 else "fall"), -1
  upright = np.flatnonzero(up >= UPSIDE_DOWN)
  last_upright = int(upright[-1]) if len(upright) else -1
  if last_upright < length - 1:
    return "flipped", last_upright + 1
  since = stalled_since(x)
  if since >= 0:
    return "stalled", since
  return "walked", -1


def play(model_dir: str, seed: int, episodes: int) -> List[Episode]:
  """The run's final evaluation episodes (trpo_tf.evaluation.run_episodes, the same seeds), with the torso's
  height, up axis and x position after every step: read when the policy acts on the next observation, and at the episode's end."""
  from trpo_tf.config import EVAL_SEED_OFFSET
  from trpo_tf.evaluation import run_episodes
  from trpo_tf.sampling.envs import make_env
  policy = serving_actor(model_dir)
  env = make_env("Ant-v5")
  torso, out = [], []

  def record_torso():
    qpos = env.unwrapped.data.qpos
    torso.append((float(qpos[2]), up_axis_z(qpos[3:7]), float(qpos[0])))

  def act(obs, episode, t):
    if t > 0:
      record_torso()
    return policy(obs[None])[0]

  def on_episode(episode, total, length):
    record_torso()
    z, up, x = np.array(torso).T
    ending, since = classify(length < env.spec.max_episode_steps, length, z, up, x)
    out.append(Episode(total, length, ending, since))
    torso.clear()

  try:
    run_episodes(env, act, episodes, seed + EVAL_SEED_OFFSET, on_episode)
  finally:
    env.close()
  return out


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("runs", nargs="+", help="finished Ant run directories")
  parser.add_argument("--episodes", type=int, default=10, help="episodes per run (the first 10 are the final evaluation's; "
                      "the replayed mean beside eval.json's is over those)")
  parser.add_argument("--md", help="also write the table here")
  args = parser.parse_args()
  if args.episodes < 1:
    raise SystemExit(f"error: --episodes must be at least 1, got {args.episodes}")
  configs = {}
  for run in args.runs:
    if not os.path.isfile(os.path.join(run, CONFIG_FILE)):
      raise SystemExit(f"error: {run} is not a run directory (no config.json)")
    configs[run] = read_json(os.path.join(run, CONFIG_FILE))
    env_id = configs[run]["sampler"]["env_id"]
    if env_id != "Ant-v5":
      raise SystemExit(f"error: {run} trained {env_id}; this script replays Ant-v5 runs only")

  lines = ["| run | per episode (return, ending) | walked | stalled (from step) | flipped (at step) | jump / fall | "
           "mean of walked | mean, replayed (eval.json) |", "|---|---|---:|---|---|---:|---:|---:|"]
  for run, config in configs.items():
    with tempfile.TemporaryDirectory() as tmp:
      episodes = play(export_run(run, tmp), config["run"]["seed"], args.episodes)
    recorded = read_json(os.path.join(run, EVAL_FILE))["mean_return"] if os.path.isfile(
        os.path.join(run, EVAL_FILE)) else float("nan")
    replayed = float(np.mean([e.ret for e in episodes[:10]]))
    walked = [e.ret for e in episodes if e.ending == "walked"]
    since = {ending: [str(e.since) for e in episodes if e.ending == ending] for ending in ("stalled", "flipped")}
    cells = " / ".join(f"{e.ret:,.0f}{'' if e.ending == 'walked' else ' ' + e.ending}" for e in episodes)
    lines.append(f"| {os.path.basename(os.path.normpath(run))} | {cells} | {len(walked)} | "
                 + "".join(f"{len(steps)} ({', '.join(steps) or '–'}) | " for steps in since.values()) +
                 f"{sum(e.ending == 'jump' for e in episodes)} / {sum(e.ending == 'fall' for e in episodes)} | "
                 f"{np.mean(walked) if walked else float('nan'):,.0f} | {replayed:,.0f} ({recorded:,.0f}) |")
    print(lines[-1], flush=True)
  legend = (f"\nEndings: stalled: upright, but the torso's x stays within {STALL_DISTANCE:g} m from that step to the end "
            f"(at least {STALL_STEPS} steps); flipped: on its back from that step to the end (not terminated); jump / "
            "fall: terminated above z = 1.0 / below 0.2; no word: walked 1,000 steps.\n")
  table = "\n".join(lines) + "\n" + legend
  print(table)
  if args.md:
    with open(args.md, "w") as f:
      f.write(table)


if __name__ == "__main__":
  main()
