"""How Ant-v5 evaluation episodes end (issue 13): walked, flipped onto its back, or terminated.

Replays a finished run's final deterministic evaluation (the same episode seeds, `seed + EVAL_SEED_OFFSET + i`,
on gymnasium's env; the returns are checked against the run's eval.json) and classifies each episode:

  walked     1,000 steps, the torso upright at the end
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
from suite import export_run, read_json, serving_actor   # also puts the repository root (trpo_tf) on sys.path

UPSIDE_DOWN = 0.0              # z-component of the torso's up axis below this: upside down


class Episode(NamedTuple):
  ret: float
  length: int
  ending: str
  flipped_at: int        # -1 unless the ending is "flipped"


def up_axis_z(quaternion: np.ndarray) -> float:
  """z-component of the body's local z axis for a unit quaternion (w, x, y, z): 1 upright, −1 upside down."""
  _, x, y, _ = quaternion
  return float(1.0 - 2.0 * (x * x + y * y))


def classify(terminated: bool, length: int, z: np.ndarray, up: np.ndarray) -> (str, int):
  """The ending of one episode from its torso heights and up-axis z-components, step by step."""
  if terminated:
    return ("jump" if z[-1] > 1.0 else "fall"), -1
  upright = np.flatnonzero(up >= UPSIDE_DOWN)
  last_upright = int(upright[-1]) if len(upright) else -1
  if last_upright < length - 1:
    return "flipped", last_upright + 1
  return "walked", -1


def play(model_dir: str, seed: int, episodes: int) -> List[Episode]:
  """The run's final evaluation episodes (trpo_tf.evaluation.run_episodes, the same seeds), with the torso's
  height and up axis after every step: read when the policy acts on the next observation, and at the episode's end."""
  from trpo_tf.config import EVAL_SEED_OFFSET
  from trpo_tf.evaluation import run_episodes
  from trpo_tf.sampling.envs import make_env
  policy = serving_actor(model_dir)
  env = make_env("Ant-v5")
  torso, out = [], []

  def record_torso():
    qpos = env.unwrapped.data.qpos
    torso.append((float(qpos[2]), up_axis_z(qpos[3:7])))

  def act(obs, episode, t):
    if t > 0:
      record_torso()
    return policy(obs[None])[0]

  def on_episode(episode, total, length):
    record_torso()
    z, up = np.array(torso).T
    ending, flipped_at = classify(length < env.spec.max_episode_steps, length, z, up)
    out.append(Episode(total, length, ending, flipped_at))
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
  for run in args.runs:
    if not os.path.isfile(os.path.join(run, "config.json")):
      raise SystemExit(f"error: {run} is not a run directory (no config.json)")
    env_id = read_json(os.path.join(run, "config.json"))["sampler"]["env_id"]
    if env_id != "Ant-v5":
      raise SystemExit(f"error: {run} trained {env_id}; this script replays Ant-v5 runs only")

  lines = ["| run | per episode (return, ending) | walked | flipped (at step) | jump / fall | mean of walked | "
           "mean, replayed (eval.json) |", "|---|---|---:|---|---:|---:|---:|"]
  for run in args.runs:
    config = read_json(os.path.join(run, "config.json"))
    with tempfile.TemporaryDirectory() as tmp:
      episodes = play(export_run(run, tmp), config["run"]["seed"], args.episodes)
    recorded = read_json(os.path.join(run, "eval.json"))["mean_return"] if os.path.isfile(
        os.path.join(run, "eval.json")) else float("nan")
    replayed = float(np.mean([e.ret for e in episodes[:10]]))
    walked = [e.ret for e in episodes if e.ending == "walked"]
    flips = [e.flipped_at for e in episodes if e.ending == "flipped"]
    cells = " / ".join(f"{e.ret:,.0f}{'' if e.ending == 'walked' else ' ' + e.ending}" for e in episodes)
    lines.append(f"| {os.path.basename(os.path.normpath(run))} | {cells} | {len(walked)} | "
                 f"{len(flips)} ({', '.join(map(str, flips)) or '–'}) | "
                 f"{sum(e.ending == 'jump' for e in episodes)} / {sum(e.ending == 'fall' for e in episodes)} | "
                 f"{np.mean(walked) if walked else float('nan'):,.0f} | {replayed:,.0f} ({recorded:,.0f}) |")
    print(lines[-1], flush=True)
  legend = ("\nEndings: flipped: on its back from that step to the end (not terminated); jump / fall: terminated above "
            "z = 1.0 / below 0.2; no word: walked 1,000 steps.\n")
  table = "\n".join(lines) + "\n" + legend
  print(table)
  if args.md:
    with open(args.md, "w") as f:
      f.write(table)


if __name__ == "__main__":
  main()
