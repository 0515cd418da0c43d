"""Whether a config's runs are still climbing when training stops: issue 13's measured reason for a missed target.

  python benchmarks/learning_pace.py --group LABEL=GLOB [--group LABEL=GLOB ...] [--md OUT.md]

Each group is the run directories one glob matches (e.g. 'walker2d=benchmarks/runs/walker2d-presetamd-1000k-s*').
Per group: the mean training return (progress.csv's episode/return_recent20, the stochastic policy) in each fifth of
the run, how many runs gained over the last fifth, and the Pearson correlation between each fifth's training return
and the final deterministic evaluation (eval.json). Runs still gaining steeply at the end, whose final return tracks
how fast they learned early, are limited by the step budget rather than stuck in a poor optimum.
"""

import argparse
import glob
import os
import sys
from typing import Dict, List, NamedTuple, Sequence

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from plot_curves import read_curve
from suite import read_json

from trpo_tf.checkpoints import EVAL_FILE   # importable once suite has put the repository on the path

FIFTHS = 5


class Pace(NamedTuple):
  final_eval: float
  fifths: np.ndarray       # mean training return in each fifth of the run's steps


class GroupPace(NamedTuple):
  runs: int
  final_eval: float          # mean over runs
  fifths: np.ndarray         # mean over runs, per fifth
  gaining: int               # runs whose last fifth beat their fourth
  late_gain: float           # mean (last fifth - fourth fifth)
  correlation: np.ndarray    # per fifth: Pearson r between that fifth's training return and the final evaluation


def fifth_means(steps: np.ndarray, returns: np.ndarray) -> np.ndarray:
  """Mean of `returns` over the iterations in each fifth of (0, steps[-1]] (an iteration belongs to the fifth its
  env-step count ends in)."""
  steps, returns = np.asarray(steps, float), np.asarray(returns, float)
  edges = np.linspace(0.0, steps[-1], FIFTHS + 1)
  which = np.clip(np.searchsorted(edges, steps, side="left") - 1, 0, FIFTHS - 1)
  means = np.full(FIFTHS, np.nan)
  for k in range(FIFTHS):
    if np.any(which == k):
      means[k] = returns[which == k].mean()
  return means


def run_pace(run_dir: str) -> Pace:
  steps, returns = read_curve(run_dir)
  return Pace(float(read_json(os.path.join(run_dir, EVAL_FILE))["mean_return"]), fifth_means(steps, returns))


def group_pace(paces: Sequence[Pace]) -> GroupPace:
  finals = np.array([p.final_eval for p in paces])
  fifths = np.stack([p.fifths for p in paces])
  gain = fifths[:, -1] - fifths[:, -2]
  correlation = np.array([np.corrcoef(fifths[:, k], finals)[0, 1] if len(paces) > 2 else np.nan
                          for k in range(FIFTHS)])
  return GroupPace(len(paces), float(finals.mean()), fifths.mean(axis=0), int(np.sum(gain > 0)),
                   float(gain.mean()), correlation)


def table(groups: Dict[str, GroupPace]) -> str:
  fifth_names = [f"{20 * (k + 1)}%" for k in range(FIFTHS)]
  lines = ["| runs | n | final eval | training return at " + " / ".join(fifth_names) +
           " of the steps | gaining in the last fifth | mean gain there | r(training return, final eval) at " +
           " / ".join(fifth_names) + " |", "|---|---:|---:|---|---:|---:|---|"]
  for label, g in groups.items():
    lines.append(f"| {label} | {g.runs} | {g.final_eval:,.0f} | " + " / ".join(f"{v:,.0f}" for v in g.fifths) +
                 f" | {g.gaining} of {g.runs} | {g.late_gain:+,.0f} | " +
                 " / ".join(f"{r:.2f}" for r in g.correlation) + " |")
  return "\n".join(lines) + "\n"


def _parse_groups(items: Sequence[str]) -> Dict[str, List[str]]:
  groups = {}
  for item in items:
    label, sep, pattern = item.partition("=")
    if not sep or not label:
      raise SystemExit(f"error: --group takes LABEL=GLOB, got {item!r}")
    dirs = sorted(d for d in glob.glob(pattern) if os.path.isfile(os.path.join(d, EVAL_FILE)))
    if not dirs:
      raise SystemExit(f"error: --group {label}: no finished run directory (with {EVAL_FILE}) matches {pattern!r}")
    groups.setdefault(label, []).extend(dirs)
  return groups


def main():
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--group", action="append", required=True, help="LABEL=GLOB of run directories (repeatable; "
                      "a label given twice pools both globs)")
  parser.add_argument("--md", default="", help="also write the table to this markdown file")
  args = parser.parse_args()
  groups = {label: group_pace([run_pace(d) for d in dirs]) for label, dirs in _parse_groups(args.group).items()}
  text = table(groups)
  print(text, end="")
  if args.md:
    with open(args.md, "w") as f:
      f.write("# Learning pace: training return per fifth of the run, and how it predicts the final evaluation\n\n"
              "Command: `python benchmarks/learning_pace.py " +
              " ".join(f"--group '{g}'" for g in args.group) + f" --md {args.md}`\n\n" + text)


if __name__ == "__main__":
  main()
