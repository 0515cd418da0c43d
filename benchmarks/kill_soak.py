"""Crash-safety soak: SIGKILL one CartPole run hundreds of times, resume it each time.

  python benchmarks/kill_soak.py [--kills 200] [--max_delay 10] [--total_steps 40000] [--seed 0]

The same procedure as tests/test_fault_injection.py (tests/fault_injection.py),
at a scale the test suite cannot afford: every iteration checkpoints and
exports, kills land at uniformly random moments after each (re)start, and after
every kill the export base may hold only complete versions. At the end the run
must have reached its total steps with each iteration counted once, and every
exported version must load with the TF1 session loader. Prints what was being
written at each kill and appends a row to benchmarks/results/kill_soak.csv.
"""

import argparse
import csv
import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suite import RESULTS, write_rows
from tests.fault_injection import check_versions_load, run_soak


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--kills", type=int, default=200)
  parser.add_argument("--max_delay", type=float, default=10.0, help="seconds after a start the kill may come")
  parser.add_argument("--total_steps", type=int, default=40_000)
  parser.add_argument("--seed", type=int, default=0)
  args = parser.parse_args()
  with tempfile.TemporaryDirectory(prefix="kill_soak_") as tmp:
    run_dir, export_dir = os.path.join(tmp, "run"), os.path.join(tmp, "models")
    result = run_soak(run_dir, export_dir, args.total_steps, args.kills, args.seed, args.max_delay,
                      log=lambda line: print(line, flush=True))
    loaded = check_versions_load(export_dir)
    leftovers = [n for n in os.listdir(export_dir) if n.startswith(".")]
  assert not leftovers, leftovers
  print(f"{result.kills} kills ({result.kills_by_moment}), {result.starts} starts, {result.seconds:.0f} s; "
        f"run finished at {result.env_steps} env steps / {result.iterations} iterations, each counted once; "
        f"{len(loaded)} exported versions, all load with the TF1 session loader")
  path = os.path.join(RESULTS, "kill_soak.csv")
  rows = []
  if os.path.exists(path):
    with open(path) as f:
      rows = list(csv.DictReader(f))
  moments = result.kills_by_moment
  rows.append({"date": time.strftime("%Y-%m-%d"), "kills": result.kills,
               "during_checkpoint_write": moments.get("checkpoint write", 0),
               "during_export_write": moments.get("export write", 0),
               "during_start_up": moments.get("start-up", 0), "other_training": moments.get("training", 0),
               "starts": result.starts, "seconds": round(result.seconds), "env_steps": result.env_steps,
               "iterations": result.iterations, "versions_loaded": len(loaded), "failures": 0})
  write_rows(rows, path)


if __name__ == "__main__":
  main()
