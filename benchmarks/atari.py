"""CPU learning run on an Atari game against a random-policy baseline.

  python benchmarks/atari.py [--game=breakout] [--steps=750000] [--out=benchmarks/results]

Trains the game's preset (paper CNN, sampling/atari.py preprocessing) for --steps agent
steps (× 4 frames), then prints frames, wall time and agent steps/s, the random policy's
mean return over --random_episodes episodes, and the trained policy's mean return, and
writes <out>/atari_<game>.png (training return vs frames, random baseline dashed) and
<out>/atari_<game>_progress.csv.
"""

import argparse
import csv
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


from trpo_tf.evaluation import run_episodes  # noqa: E402
from trpo_tf.presets import ATARI_GAMES, preset  # noqa: E402
from trpo_tf.sampling.envs import make_env  # noqa: E402
from trpo_tf.trainer import Trainer  # noqa: E402


def random_baseline(env_id: str, episodes: int, seed: int) -> float:
  env = make_env(env_id)
  env.action_space.seed(seed)
  try:
    return run_episodes(env, lambda *_: env.action_space.sample(), episodes, seed).mean_return
  finally:
    env.close()


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--game", default="breakout", choices=sorted(ATARI_GAMES))
  parser.add_argument("--steps", type=int, default=750_000, help="agent steps (frames / 4)")
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--random_episodes", type=int, default=20)
  parser.add_argument("--eval_episodes", type=int, default=10)
  parser.add_argument("--terminal_on_life_loss", action="store_true", help="training episodes end at each lost life")
  parser.add_argument("--fire_reset", action="store_true", help="press FIRE after each training reset")
  parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
  args = parser.parse_args()
  config = preset(args.game).override(total_steps=args.steps, seed=args.seed, eval_episodes=args.eval_episodes,
                                      terminal_on_life_loss=args.terminal_on_life_loss, fire_reset=args.fire_reset)
  run_dir = tempfile.mkdtemp(prefix="trpo_atari_")
  try:
    trainer = Trainer(config, os.path.join(run_dir, "run"))
    start = time.perf_counter()
    result = trainer.train()
    wall = time.perf_counter() - start
    trainer.close()
    os.makedirs(args.out, exist_ok=True)
    csv_out = os.path.join(args.out, f"atari_{args.game}_progress.csv")
    shutil.copy(os.path.join(run_dir, "run", "progress.csv"), csv_out)
  finally:
    shutil.rmtree(run_dir, ignore_errors=True)
  baseline = random_baseline(config.sampler.env_id, args.random_episodes, args.seed)

  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  with open(csv_out) as f:
    rows = [r for r in csv.DictReader(f) if r["episode/return_recent20"]]
  frames = [4 * int(r["env_steps"]) for r in rows]
  fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
  ax.plot(frames, [float(r["episode/return_recent20"]) for r in rows], label="TRPO (training, recent 20 episodes)")
  ax.axhline(baseline, linestyle="--", color="gray", label=f"random policy ({baseline:.1f})")
  ax.set_xlabel("frames")
  ax.set_ylabel("episode return")
  ax.set_title(f"TRPO on {config.sampler.env_id}, paper CNN, CPU (2 cores)")
  ax.grid(alpha=0.3)
  ax.legend()
  fig.tight_layout()
  png = os.path.join(args.out, f"atari_{args.game}.png")
  fig.savefig(png)

  ev = result.evaluation
  print(f"game            {config.sampler.env_id}")
  print(f"agent steps     {result.env_steps}  ({4 * result.env_steps} frames)")
  print(f"wall time       {wall:.0f} s  ({result.sample_seconds:.0f} s sampling, {result.update_seconds:.0f} s updates)")
  print(f"throughput      {result.env_steps / wall:.0f} agent steps/s  ({4 * result.env_steps / wall:.0f} frames/s)")
  print(f"random policy   {baseline:.2f} mean return over {args.random_episodes} episodes")
  if ev is not None:
    print(f"trained policy  {ev.mean_return:.2f} ± {ev.std_return:.2f} (deterministic, {len(ev.returns)} episodes)")
  print(f"final training return (recent 20 episodes) {float(rows[-1]['episode/return_recent20']):.2f}")
  print(f"curve           {png}")


if __name__ == "__main__":
  main()
