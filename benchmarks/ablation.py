"""Learning-robustness ablations (issue 13): presets × variants × seeds at 1M steps, per-seed tables.

  python benchmarks/ablation.py --envs hopper,halfcheetah --seeds 0,1,2 \
      --variant batch4096=--steps_per_env=256 --variant norewnorm=--normalize_rewards=false [--jobs 2]

Each --variant is NAME=FLAGS (launcher flags, space-separated); the preset as
it is (no flags) is the variant "preset", always included. Runs train through
launchers/train.py into benchmarks/runs/<preset>-<variant>-1000k-s<seed>/ (the
preset's runs reuse benchmarks/runs/<preset>-envpool-*, which the EnvPool parity
benchmark trained with the same settings), finished runs are reused. Writes
benchmarks/results/ablations/<preset>.md, .csv and .png: per variant the final
deterministic evaluation per seed (10 episodes), mean, minimum, the area under
the training curve (mean training return over the run) and the training time.
A reused run whose config.json no longer matches what its variant builds today
(a preset changed since) is reported on stdout and marked in the flags column.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
from typing import Dict, List, Sequence, Tuple

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from plot_curves import plot_groups
from mujoco_suite import TARGETS, share_of_target
from suite import RESULTS, ROOT, TRAIN, RunSummary, area_under_curve, finished, parse_seeds, summarise, train_specs

PRESET_VARIANT = "envpool"   # the directory tag of the preset's own runs (see the module docstring)
PRESET_FLAGS = ["--env_backend=envpool"]   # the flags those runs were trained with


def parse_variants(items: Sequence[str]) -> Dict[str, List[str]]:
  variants = {"preset": []}
  for item in items:
    name, sep, flags = item.partition("=")
    if not sep or not name or not flags.strip() or not name.replace("_", "").isalnum():
      raise SystemExit(f"error: --variant needs NAME=FLAGS with an alphanumeric name, got {item!r}")
    variants[name] = flags.split()
  return variants


def table(preset: str, rows: Dict[str, List[RunSummary]], flags: Dict[str, List[str]],
          auc: Dict[str, float]) -> str:
  """The markdown table; `auc` maps each run directory to its area under the curve."""
  lines = ["| variant | flags | per seed (final eval) | seeds | mean | min | min / target | AUC (mean train return) | "
           "train time / run |",
           "|---|---|---|---|---:|---:|---:|---:|---:|"]
  for name, runs in rows.items():
    finals = np.array([r.eval_mean for r in runs])
    lines.append(f"| {name} | `{' '.join(flags[name]) or '(preset)'}` | "
                 f"{' / '.join(f'{m:,.0f}' for m in finals)} | {_seed_list([r.seed for r in runs])} | "
                 f"{finals.mean():,.0f} | {finals.min():,.0f} | {share_of_target(finals.min(), TARGETS.get(preset)) or '-'} | "
                 f"{np.mean([auc[r.run_dir] for r in runs]):,.0f} | {np.mean([r.train_seconds for r in runs]):.0f} s |")
  return "\n".join(lines)


def _seed_list(seeds: List[int]) -> str:
  return f"{seeds[0]}–{seeds[-1]}" if seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 2 else \
      ",".join(map(str, seeds))


def current_config(preset: str, flags: Sequence[str]) -> dict:
  """The config `launchers/train.py --preset=preset flags` builds today."""
  cmd = [sys.executable, TRAIN, f"--preset={preset}", "--print_config", *flags]
  return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT).stdout)


def stale_fields(now: dict, runs: Sequence[RunSummary]) -> List[Tuple[str, object, object]]:
  """Where reused runs' config.json differ from `now` (a preset changed since they trained):
  (field, trained value(s), value now); run-specific fields are skipped."""
  trained = []
  for run in runs:
    with open(os.path.join(run.run_dir, "config.json")) as f:
      trained.append(json.load(f))
  out = []
  for section, fields in now.items():
    for key, value in fields.items():
      old = sorted({json.dumps(t.get(section, {}).get(key)) for t in trained})
      if section != "run" and old != [json.dumps(value)]:
        out.append((key, "/".join(old), value))
  return out


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--envs", default="hopper,halfcheetah")
  parser.add_argument("--seeds", default="0,1,2", help="e.g. 0-4 or 0,1,2")
  parser.add_argument("--steps", type=int, default=1_000_000)
  parser.add_argument("--jobs", type=int, default=2, help="runs in parallel")
  parser.add_argument("--variant", action="append", default=[], help="NAME=FLAGS (repeatable)")
  parser.add_argument("--report_only", action="store_true",
                      help="train nothing: tabulate the finished runs of --seeds (variants with none are left out)")
  args = parser.parse_args()
  presets, seeds = args.envs.split(","), parse_seeds(args.seeds)
  variants = parse_variants(args.variant)
  tag = {name: PRESET_VARIANT if name == "preset" else name for name in variants}
  # Seeds outermost: the first finished runs cover every variant.
  if not args.report_only:
    train_specs([(p, s, tuple(flags or PRESET_FLAGS), tag[name])
                for s in seeds for p in presets for name, flags in variants.items()], args.steps, args.jobs)
  out_dir = os.path.join(RESULTS, "ablations")
  os.makedirs(out_dir, exist_ok=True)
  for preset in presets:
    rows = {name: [summarise(preset, s, args.steps, tag[name]) for s in seeds
                   if finished(preset, s, args.steps, tag[name])] for name in variants}
    rows = {name: runs for name, runs in rows.items() if runs}
    for name, runs in rows.items():   # say so when a preset changed under a reused run
      stale = stale_fields(current_config(preset, variants[name] or PRESET_FLAGS), runs)
      if stale:
        trained_with = ", ".join(f"{key}={old}" for key, old, _ in stale)
        print(f"note: {preset} '{name}' runs predate a preset change; they trained with {trained_with} "
              f"(now {', '.join(f'{key}={new}' for key, _, new in stale)})")
        variants[name] = variants[name] + [f"(trained with {trained_with})"]
    auc = {r.run_dir: area_under_curve(r) for runs in rows.values() for r in runs}
    text = table(preset, rows, variants, auc)
    with open(os.path.join(out_dir, f"{preset}.md"), "w") as f:
      f.write(text + "\n")
    with open(os.path.join(out_dir, f"{preset}.csv"), "w", newline="") as f:
      w = csv.writer(f)
      w.writerow(["variant", "flags", "seed", "eval_mean_return", "auc_train_return", "train_seconds"])
      for name, runs in rows.items():
        for r in runs:
          w.writerow([name, " ".join(variants[name]), r.seed, f"{r.eval_mean:.1f}", f"{auc[r.run_dir]:.1f}",
                      f"{r.train_seconds:.0f}"])
    plot_groups({name: [r.run_dir for r in runs] for name, runs in rows.items()},
                os.path.join(out_dir, f"{preset}.png"), title=f"{preset}: ablation, seeds {_seed_list(sorted({r.seed for runs in rows.values() for r in runs}))}",
                target=TARGETS.get(preset),
                final_points={name: [(r.env_steps, r.eval_mean) for r in runs] for name, runs in rows.items()})
    print(f"{preset}\n{text}\n")


if __name__ == "__main__":
  main()
