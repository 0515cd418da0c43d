"""MuJoCo v5 learning benchmark: 5 tasks × N seeds × 1M env steps, deterministic evaluation.

  python benchmarks/mujoco_suite.py [--envs swimmer,hopper,walker2d,halfcheetah,ant]
      [--seeds 0-4] [--steps 1000000] [--jobs 2] [--fresh] [--env_backend gymnasium]

Trains the presets through launchers/train.py (see suite.py: finished runs are
reused, interrupted ones resumed), then writes to benchmarks/results/:
  mujoco_1m.csv              one row per run: final deterministic return (10 episodes), wall time
  mujoco_1m.md               the results table (mean ± std over seeds, beside the targets)
  mujoco_<env>_1m.png        training-return curves, mean of the seeds with the min-max range
  curves/<run>.csv           each run's progress.csv, for re-plotting (plot_curves.py)
--envs may instead list env ids with no preset named (Reacher-v5,InvertedDoublePendulum-v5): they
train as `launchers/train.py --env_id=...` does, from the shared MuJoCo settings, into
mujoco_other_1m.md|csv and mujoco_<env id>_1m.png.
A subset of the presets (--envs hopper,halfcheetah) retrains only those: the CSV and table keep the
other tasks' rows as recorded (named below the table), so one task's preset change does not retrain
all five.
--env_backend samples every preset with that backend instead of its own (the presets use
EnvPool; `gymnasium` confirms the table on the library's default backend): its runs train
into benchmarks/runs/<preset>-<backend>-1000k-s<seed>/ and its files carry a _<backend> suffix.
"""

import argparse
import os
import sys
from typing import Dict, List, NamedTuple, Optional

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from plot_curves import plot_groups
from suite import (RESULTS, add_run_flags, is_env_id, recorded_rows, results_csv, steps_tag, summary_row,
                   train_and_collect)

# Best published TRPO returns at 1M steps, the targets of issue 7 (anchors in shared/design.md §5).
TARGETS = {"swimmer": 360, "hopper": 3600, "walker2d": 4900, "halfcheetah": 4500, "ant": 4900}
ENV_IDS = {"swimmer": "Swimmer-v5", "hopper": "Hopper-v5", "walker2d": "Walker2d-v5",
           "halfcheetah": "HalfCheetah-v5", "ant": "Ant-v5"}


class TaskResult(NamedTuple):
  """One task's row of the table: from this invocation's runs, or kept from the results CSV."""
  task: str                # preset name or env id
  finals: List[float]      # final deterministic return per seed
  auc: float               # mean of the seeds' areas under the training curve (nan: no curve kept)
  backend: str
  train_seconds: float     # mean per run
  recorded: bool = False   # kept from the CSV, not (re)collected by this invocation


def task_results(rows: List[dict], recorded: bool = False) -> List[TaskResult]:
  """TaskResult per preset of results-CSV rows: suite.summary_row of this invocation's runs, or the
  strings suite.recorded_rows kept (recorded=True)."""
  by_task: Dict[str, List[dict]] = {}
  for r in rows:
    by_task.setdefault(r["preset"], []).append(r)
  mean = lambda rs, key: float(np.mean([float(r[key] if r[key] != "" else "nan") for r in rs]))
  return [TaskResult(task, [float(r["eval_mean_return"]) for r in rs], mean(rs, "auc_train_return"),
                     rs[0]["env_backend"], mean(rs, "train_seconds"), recorded)
          for task, rs in by_task.items()]


def results_table(results: List[TaskResult], targets, steps: int) -> str:
  """Per task: mean ± std and each seed's final deterministic return, the mean and the worst seed
  against the target, the area under the training curve, the sampling backend and the time; the
  rows kept from the CSV are named below the table."""
  lines = [f"| task | TRPO target @ {steps // 1000}k | trpo_tf mean ± std | per seed | mean vs target | "
           "worst seed vs target | AUC (mean train return) | backend | train time / run |",
           "|---|---:|---:|---|---:|---:|---:|---|---:|"]
  for t in results:
    means = np.array(t.finals)
    target = targets.get(t.task.replace("_vine", ""))
    auc = "-" if np.isnan(t.auc) else table_number(t.auc)
    lines.append(f"| {ENV_IDS.get(t.task, t.task)} | {target or '-'} | {table_number(means.mean())} ± {table_number(means.std(), means.mean())} | "
                 f"{' / '.join(table_number(m) for m in means)} ({len(means)} seeds) | {share_of_target(means.mean(), target)} | "
                 f"{share_of_target(means.min(), target)} | {auc} | {t.backend} | {t.train_seconds:.0f} s |")
  kept = [ENV_IDS.get(t.task, t.task) for t in results if t.recorded]
  if kept:
    lines.append(f"\n{', '.join(kept)}: as recorded by an earlier invocation (the CSV), not collected by the last one.")
  return "\n".join(lines)


def table_number(value: float, scale: Optional[float] = None) -> str:
  """Returns as tables show them: whole numbers, one decimal when `scale` (default the value itself) is
  below 100 in size (Reacher's returns are about -4)."""
  return f"{value:,.0f}" if abs(value if scale is None else scale) >= 100 else f"{value:.1f}"


def share_of_target(value: float, target) -> str:
  """value as a percentage of target ("" without a target); one decimal where a whole number would round a
  miss up to 100% or a pass down to it (99.6% and 100.4% both read "100%")."""
  if target is None:
    return ""
  share = 100 * value / target
  return f"{share:.1f}%" if round(share) == 100 and share != 100 else f"{share:.0f}%"


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  add_run_flags(parser, ",".join(TARGETS))
  parser.add_argument("--env_backend", choices=("gymnasium", "envpool"), default=None,
                      help="sample every preset with this backend (default: each preset's own)")
  args = parser.parse_args()
  envs = args.envs.split(",")
  env_ids = [e for e in envs if e not in TARGETS]
  if any(not is_env_id(e) for e in env_ids) or 0 < len(env_ids) < len(envs):
    raise SystemExit(f"error: --envs takes presets from {sorted(TARGETS)}, or env ids with no preset named "
                     f"(e.g. Reacher-v5), not both; got {args.envs!r}")
  name = "mujoco_other" if env_ids else "mujoco"   # env ids: the settings a run with no preset gets
  variant = args.env_backend or ""
  extra = [f"--env_backend={args.env_backend}"] if args.env_backend else []
  # A subset of the tasks: the others' rows stay as the CSV records them (their runs need not be here).
  kept = [] if env_ids else recorded_rows(results_csv(name, args.steps, variant), args.steps, variant, exclude=envs)
  groups = train_and_collect(envs, args, name, extra=extra, variant=variant, keep=kept)
  tag = steps_tag(args.steps) + (f"_{variant}" if variant else "")
  for env, runs in groups.items():
    plot_groups({"trpo_tf": [r.run_dir for r in runs]}, os.path.join(RESULTS, f"mujoco_{env.lower()}_{tag}.png"),
                title=f"{ENV_IDS.get(env, env)}, {len(runs)} seeds{', ' + variant if variant else ''}",
                target=TARGETS.get(env), final_points={"trpo_tf": [(r.env_steps, r.eval_mean) for r in runs]})
  results = task_results([summary_row(r) for runs in groups.values() for r in runs]) + \
      task_results(kept, recorded=True)
  order = list(TARGETS) + env_ids
  table = results_table(sorted(results, key=lambda t: order.index(t.task)), TARGETS, args.steps)
  with open(os.path.join(RESULTS, f"{name}_{tag}.md"), "w") as f:
    f.write(table + "\n")
  print(table)


if __name__ == "__main__":
  main()
