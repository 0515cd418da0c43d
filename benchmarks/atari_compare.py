"""Two or more Atari learning runs side by side: windowed means of their progress.csv and one plot.

  python benchmarks/atari_compare.py results/atari_breakout_run4_lifefix/progress.csv \
      results/atari_breakout_run5_envpool/progress.csv --labels gymnasium,envpool \
      [--window 100000] [--png results/atari_breakout_backends.png]

For each window of agent steps: the training return (per life with --terminal_on_life_loss),
the policy entropy and the episode length, each the mean of the iterations in the window
(iterations where no episode ended are skipped for return and length); a last window the
run covers less than half of is left out. Used for issue 12's
learning parity of the EnvPool backend on Breakout (benchmarks/results/README.md).
"""

import argparse
import csv
import os
import sys
from typing import Dict, List

import numpy as np

COLUMNS = (("return", "episode/return"), ("entropy", "trpo/entropy"), ("length", "episode/length"))
SMOOTH = 25   # iterations per point of the plot's smoothed line


def read_rows(path: str) -> List[Dict[str, str]]:
  with open(path, newline="") as f:
    rows = list(csv.DictReader(f))
  if not rows:
    raise SystemExit(f"error: {path} has no rows")
  return rows


def windows(rows: List[Dict[str, str]], window: int) -> Dict[int, Dict[str, float]]:
  """Window index → column → mean over the window's iterations (empty cells skipped)."""
  out: Dict[int, Dict[str, List[float]]] = {}
  for r in rows:
    w = (int(r["env_steps"]) - 1) // window
    for name, column in COLUMNS:
      if r.get(column):
        out.setdefault(w, {}).setdefault(name, []).append(float(r[column]))
  last = (int(rows[-1]["env_steps"]) - 1) // window
  if int(rows[-1]["env_steps"]) - last * window < window // 2:   # a last window the run barely entered
    out.pop(last, None)
  return {w: {name: float(np.mean(v)) for name, v in cols.items()} for w, cols in out.items()}


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("progress", nargs="+", help="progress.csv files of the runs")
  parser.add_argument("--labels", default="", help="comma-separated, one per run (default: the directory names)")
  parser.add_argument("--window", type=int, default=100_000, help="agent steps per window")
  parser.add_argument("--png", default="", help="also plot the training return of each run")
  args = parser.parse_args()
  labels = args.labels.split(",") if args.labels else [os.path.basename(os.path.dirname(p)) for p in args.progress]
  if len(labels) != len(args.progress):
    raise SystemExit(f"error: {len(labels)} labels for {len(args.progress)} runs")
  missing = [p for p in args.progress if not os.path.exists(p)]
  if missing:
    raise SystemExit(f"error: no such file: {missing[0]}")
  progress = [read_rows(p) for p in args.progress]
  runs = [windows(rows, args.window) for rows in progress]
  shared = sorted(set.intersection(*(set(r) for r in runs)))
  header = " | ".join(f"{label} {name}" for name, _ in COLUMNS for label in labels)
  print(f"| agent steps | {header} |")
  print("|---|" + "---:|" * (len(COLUMNS) * len(labels)))
  for w in shared:
    cells = [f"{r[w].get(name, float('nan')):.2f}" if name != "length" else f"{r[w].get(name, float('nan')):.0f}"
             for name, _ in COLUMNS for r in runs]
    print(f"| {w * args.window // 1000}–{(w + 1) * args.window // 1000}k | {' | '.join(cells)} |")
  if args.png:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    for all_rows, label in zip(progress, labels):
      rows = [r for r in all_rows if r["episode/return_recent20"]]
      frames, returns = [4 * int(r["env_steps"]) for r in rows], [float(r["episode/return_recent20"]) for r in rows]
      line, = ax.plot(frames, returns, alpha=0.25)
      if len(returns) >= SMOOTH:   # a shorter run has no full window: its raw line only
        smooth = np.convolve(returns, np.ones(SMOOTH) / SMOOTH, mode="valid")
        ax.plot(frames[SMOOTH - 1:], smooth, color=line.get_color(), label=f"{label} (mean of {SMOOTH} iterations)")
      else:
        line.set_label(label)
    ax.set_xlabel("frames")
    ax.set_ylabel("training return (recent 20 episodes)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.png)
    print(f"wrote {args.png}")


if __name__ == "__main__":
  sys.exit(main())
