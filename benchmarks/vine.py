"""Vine vs single-path sampling at equal simulator-step budgets (paper §5, Fig. 4 style).

  python benchmarks/vine.py [--envs swimmer,hopper] [--seeds 0,1,2] [--steps 1000000] [--jobs 2]

Trains <env> (single path) and <env>_vine for each seed through launchers/train.py
(suite.py: finished runs are reused, so the single-path runs are shared with
benchmarks/mujoco_suite.py). Every simulator step counts against the budget, the vine's
branch steps included, so the x axis of the curves is simulator steps. Writes to
benchmarks/results/: vine_<tag>.csv, vine_<tag>.md (table) and vine_<env>_<tag>.png.
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mujoco_suite import ENV_IDS
from plot_curves import plot_groups
from suite import RESULTS, add_run_flags, steps_tag, train_and_collect


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  add_run_flags(parser, "swimmer,hopper")
  args = parser.parse_args()
  envs = args.envs.split(",")
  groups = train_and_collect([p for e in envs for p in (e, f"{e}_vine")], args, "vine")
  tag = steps_tag(args.steps)
  lines = ["| task | sampler | final deterministic return, mean ± std | per seed | train time / run |",
           "|---|---|---:|---|---:|"]
  for env in envs:
    plot_groups({"single path": [r.run_dir for r in groups[env]],
                 "vine": [r.run_dir for r in groups[f"{env}_vine"]]},
                os.path.join(RESULTS, f"vine_{env}_{tag}.png"),
                title=f"{ENV_IDS[env]}: vine vs single path, equal simulator steps",
                final_points={name: [(r.env_steps, r.eval_mean) for r in groups[p]]
                              for name, p in (("single path", env), ("vine", f"{env}_vine"))})
    for preset, name in ((env, "single path"), (f"{env}_vine", "vine")):
      runs = groups[preset]
      means = np.array([r.eval_mean for r in runs])
      lines.append(f"| {ENV_IDS[env]} | {name} | {means.mean():,.1f} ± {means.std():,.1f} | "
                   f"{' / '.join(f'{m:,.1f}' for m in means)} | "
                   f"{np.mean([r.train_seconds for r in runs]):.0f} s |")
  table = "\n".join(lines)
  with open(os.path.join(RESULTS, f"vine_{tag}.md"), "w") as f:
    f.write(table + "\n")
  print(table)


if __name__ == "__main__":
  main()
