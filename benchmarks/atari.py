"""CPU learning run on an Atari game against a random-policy baseline.

  python benchmarks/atari.py [--game=breakout] [--steps=750000] [--terminal_on_life_loss] [--fire_reset]
      [--set entropy_coef=0.01 --set cnn=nature ...] [--name=NAME] [--out=benchmarks/results/NAME] [--resume]

Trains the game's preset (sampling/atari.py preprocessing; --set overrides any config
field) for --steps agent steps (× 4 frames) in benchmarks/runs/atari_<NAME>/, then
compares, on full games of the standard evaluation env (no life-loss terminals, no
automatic FIRE), a uniformly random policy with the trained policy, both its
stochastic policy (what it trained with) and its mode (greedy). Prints frames, wall
time and agent steps/s, and writes to --out: curve.png (training return vs frames;
with --terminal_on_life_loss that return is per life, so the random policy's per-life
return on the training env is drawn too) and progress.csv. --resume continues a
killed run from its last checkpoint (every 50 iterations in the Atari presets); the
resumed part samples with a new reset seed, so it is not bit-identical to an
uninterrupted run.
"""

import argparse
import csv
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf

from overrides import parse_sets
from trpo_tf.evaluation import run_episodes
from trpo_tf.presets import ATARI_GAMES, preset
from trpo_tf.sampling.envs import make_env, make_training_env
from trpo_tf.trainer import Trainer

BENCH = os.path.dirname(os.path.abspath(__file__))


def random_returns(env, episodes: int, seed: int) -> float:
  env.action_space.seed(seed)
  try:
    return run_episodes(env, lambda *_: env.action_space.sample(), episodes, seed).mean_return
  finally:
    env.close()


def stochastic_returns(policy, env_id: str, episodes: int, seed: int) -> float:
  env = make_env(env_id)
  sample = tf.function(policy.sample).get_concrete_function(
      tf.TensorSpec((1,) + env.observation_space.shape, tf.uint8), tf.TensorSpec([2], tf.int32))
  act = lambda obs, episode, t: sample(tf.constant(obs[None]), tf.constant([seed + episode, t]))[0].numpy()
  try:
    return run_episodes(env, act, episodes, seed).mean_return
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
  parser.add_argument("--set", action="append", default=[], help="config override, e.g. entropy_coef=0.01")
  parser.add_argument("--name", default=None, help="names the run and output directories (default: the game)")
  parser.add_argument("--out", default=None, help="output directory (default benchmarks/results/atari_<name>)")
  parser.add_argument("--resume", action="store_true", help="continue the killed run of the same --name from its "
                      "last checkpoint (with the same other flags) instead of starting over")
  args = parser.parse_args()
  name = args.name or args.game
  out = args.out or os.path.join(BENCH, "results", f"atari_{name}")
  config = preset(args.game).override(total_steps=args.steps, seed=args.seed, eval_episodes=args.eval_episodes,
                                      terminal_on_life_loss=args.terminal_on_life_loss, fire_reset=args.fire_reset,
                                      **parse_sets(args.set))
  run_dir = os.path.join(BENCH, "runs", f"atari_{name}")
  if not args.resume:
    shutil.rmtree(run_dir, ignore_errors=True)
  trainer = Trainer(config, run_dir, resume=args.resume)
  steps_before = int(trainer.env_steps.numpy())   # > 0 on --resume: the speed is this process's part
  start = time.perf_counter()
  result = trainer.train()
  wall = time.perf_counter() - start
  trainer.close()
  os.makedirs(out, exist_ok=True)
  csv_out = os.path.join(out, "progress.csv")
  shutil.copy(os.path.join(run_dir, "progress.csv"), csv_out)

  env_id = config.sampler.env_id
  random_game = random_returns(make_env(env_id), args.random_episodes, args.seed)
  stochastic = stochastic_returns(trainer.policy, env_id, args.eval_episodes, args.seed + 1_000_000)
  random_life = None
  if args.terminal_on_life_loss:
    random_life = random_returns(make_training_env(env_id, True, args.fire_reset), 4 * args.random_episodes,
                                 args.seed)

  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  with open(csv_out) as f:
    rows = [r for r in csv.DictReader(f) if r["episode/return_recent20"]]
  frames = [4 * int(r["env_steps"]) for r in rows]
  per = "per life" if args.terminal_on_life_loss else "per game"
  fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
  ax.plot(frames, [float(r["episode/return_recent20"]) for r in rows],
          label=f"TRPO training return {per} (recent 20)")
  baseline = random_life if random_life is not None else random_game
  ax.axhline(baseline, linestyle="--", color="gray", label=f"random policy, {per} ({baseline:.2f})")
  ax.set_xlabel("frames")
  ax.set_ylabel("return")
  ax.set_title(f"TRPO on {env_id}, {config.network.cnn} CNN, CPU (2 cores)")
  ax.grid(alpha=0.3)
  ax.legend()
  fig.tight_layout()
  png = os.path.join(out, "curve.png")
  fig.savefig(png)

  ev = result.evaluation
  print(f"game            {env_id}  (overrides: {parse_sets(args.set) or 'none'})")
  print(f"agent steps     {result.env_steps}  ({4 * result.env_steps} frames)")
  resumed = f", resumed at {steps_before} agent steps" if steps_before else ""
  print(f"wall time       {wall:.0f} s  ({result.sample_seconds:.0f} s sampling, {result.update_seconds:.0f} s updates"
        f"{resumed})")
  done = result.env_steps - steps_before
  print(f"throughput      {done / wall:.0f} agent steps/s  ({4 * done / wall:.0f} frames/s)")
  print(f"full games      random {random_game:.2f} ({args.random_episodes} episodes); trained, stochastic "
        f"{stochastic:.2f}, greedy {ev.mean_return if ev else float('nan'):.2f} ({args.eval_episodes} episodes each)")
  if random_life is not None:
    print(f"per life        random {random_life:.2f}; trained (training, recent 20) "
          f"{float(rows[-1]['episode/return_recent20']):.2f}")
  else:
    print(f"final training return (recent 20 episodes) {float(rows[-1]['episode/return_recent20']):.2f}")
  print(f"curve           {png}")


if __name__ == "__main__":
  main()
