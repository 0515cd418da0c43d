"""Sampling on Ray: env steps/s against the number of rollout workers, and the per-iteration costs.

  python benchmarks/ray_scaling.py [--preset hopper] [--workers 1,2] [--iterations 12] [--envs_per_worker 8]
      [--set env_backend=gymnasium] [--csv benchmarks/results/ray_scaling.csv]

For the local sampler and for each worker count W (W × envs_per_worker envs, the
preset's steps per env), trains `iterations` TRPO iterations after a warm-up one
and reports per iteration: the policy snapshot's put into the object store
(broadcast), the slowest worker's stepping, the rest of the collect (requests,
transfer of the segments, deserialisation: gather overhead), joining the shards
and scaling rewards (join), and the learner step; then end-to-end env steps/s.
The results README derives from these the throughput and the learner's share at
16, 64 and 256 workers (benchmarks/results/README.md, "Ray").
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from overrides import parse_sets
from suite import write_rows
from trpo_tf.presets import preset
from trpo_tf.trainer import Trainer

PARTS = ("broadcast", "worker", "gather", "join", "learner")


def measure(name: str, workers: int, envs_per_worker: int, iterations: int, overrides: dict) -> dict:
  """One row: `workers` = 0 is the local sampler with the same number of envs as one worker."""
  backend = dict(sampler_backend="ray", num_workers=workers) if workers else {}
  config = preset(name).override(**overrides, **backend, num_envs=max(1, workers) * envs_per_worker,
                                 eval_episodes=0, checkpoint_every=10 ** 9)
  batch = config.sampler.batch_size
  run_dir = tempfile.mkdtemp(prefix="trpo_ray_scaling_")
  try:
    trainer = Trainer(config.override(total_steps=batch), os.path.join(run_dir, "run"), show_progress=False)
    trainer.train()   # warm-up: traces the compiled functions, starts the workers
    costs = {part: [] for part in PARTS}
    started = time.perf_counter()
    for _ in range(iterations):
      trainer.actor.sync()
      t0 = time.perf_counter()
      data = trainer.sampler.collect(trainer.actor, config.sampler.steps_per_env)
      t1 = time.perf_counter()
      trainer.learner.step(data, trainer._iterations(), progress=trainer._progress())
      trainer.learner.wait()   # the value fit too: a fixed cost per iteration, not overlapped here
      t2 = time.perf_counter()
      m = data.sampler_metrics or {}
      worker = m.get("sampler/worker_seconds", t1 - t0)
      costs["broadcast"].append(m.get("sampler/broadcast_seconds", 0.0))
      costs["worker"].append(worker)
      costs["gather"].append(m.get("sampler/collect_seconds", worker) - worker)
      costs["join"].append(m.get("sampler/join_seconds", t1 - t0 - worker))
      costs["learner"].append(t2 - t1)
    wall = time.perf_counter() - started
    trainer.close()
  finally:
    shutil.rmtree(run_dir, ignore_errors=True)
  row = dict(preset=name, sampler="local" if not workers else "ray", workers=workers,
             envs=config.sampler.num_envs, batch=batch, iterations=iterations,
             env_steps_per_s=iterations * batch / wall)
  row.update({f"{part}_ms": 1000 * float(np.median(v)) for part, v in costs.items()})
  return row


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--preset", default="hopper")
  parser.add_argument("--workers", default="1,2", help="comma-separated worker counts (0 = local sampler)")
  parser.add_argument("--envs_per_worker", type=int, default=8)
  parser.add_argument("--iterations", type=int, default=12)
  parser.add_argument("--set", action="append", default=[], help="config override, e.g. env_backend=gymnasium")
  parser.add_argument("--csv", default="")
  args = parser.parse_args()
  rows = [measure(args.preset, 0, args.envs_per_worker, args.iterations, parse_sets(args.set))]
  for w in map(int, args.workers.split(",")):
    rows.append(measure(args.preset, w, args.envs_per_worker, args.iterations, parse_sets(args.set)))
  print("\n| sampler | workers | envs | batch | env steps/s | broadcast (ms) | slowest worker stepping (ms) | "
        "gather overhead (ms) | join + reward scaling (ms) | learner step incl. value fit (ms) |")
  print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
  for r in rows:
    print(f"| {r['sampler']} | {r['workers']} | {r['envs']} | {r['batch']} | {r['env_steps_per_s']:,.0f} | "
          f"{r['broadcast_ms']:.2f} | {r['worker_ms']:.1f} | {r['gather_ms']:.1f} | {r['join_ms']:.1f} | "
          f"{r['learner_ms']:.1f} |")
  if args.csv:
    write_rows(rows, args.csv)
    print(f"wrote {args.csv}")


if __name__ == "__main__":
  main()
