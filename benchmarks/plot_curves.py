"""Plot learning curves from run directories (their progress.csv) into one PNG.

  python benchmarks/plot_curves.py runs/hopper-1m [more run dirs] --out curve.png
      [--column episode/return_recent20] [--label NAME ...]
"""

import argparse
import csv
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_curve(run_dir: str, column: str):
  """(env_steps, values) from progress.csv; for duplicated iterations (resume) the later row wins."""
  rows = {}
  with open(os.path.join(run_dir, "progress.csv")) as f:
    for row in csv.DictReader(f):
      if row.get(column):
        rows[int(row["iteration"])] = (int(row["env_steps"]), float(row[column]))
  points = [rows[k] for k in sorted(rows)]
  return [p[0] for p in points], [p[1] for p in points]


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("run_dirs", nargs="+")
  parser.add_argument("--out", required=True)
  parser.add_argument("--column", default="episode/return_recent20")
  parser.add_argument("--label", action="append", help="one per run dir (default: dir name)")
  parser.add_argument("--title", default=None)
  args = parser.parse_args()
  labels = args.label or [os.path.basename(os.path.normpath(d)) for d in args.run_dirs]
  fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
  for run_dir, label in zip(args.run_dirs, labels):
    steps, values = read_curve(run_dir, args.column)
    ax.plot(steps, values, label=label, linewidth=1.2)
  ax.set_xlabel("env steps")
  ax.set_ylabel(args.column)
  ax.set_title(args.title or f"{args.column} (training episodes, stochastic policy)")
  ax.grid(alpha=0.3)
  ax.legend()
  fig.tight_layout()
  fig.savefig(args.out)
  print(f"wrote {args.out}")


if __name__ == "__main__":
  main()
