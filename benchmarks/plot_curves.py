"""Plot learning curves of any runs into one PNG, from progress.csv files or TensorBoard logs.

  python benchmarks/plot_curves.py RUN [RUN ...] --out curves.png
      [--label NAME ...] [--column episode/return_recent20] [--title T]

Each RUN is a run directory (its progress.csv, or its tb/ logs if there is no CSV),
a progress.csv file, or a TensorBoard log directory. Runs given the same --label
are drawn as one curve: the mean over runs, with the min-max range shaded (how
the benchmarks show 3 seeds). x is environment (simulator) steps.
"""

import argparse
import csv
import glob
import os
from typing import Dict, List, Optional, Sequence, Tuple

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt

Curve = Tuple[np.ndarray, np.ndarray]


def _read_csv(path: str, column: str) -> Curve:
  """(env_steps, values); for iterations repeated by a resume the later row wins."""
  rows = {}
  with open(path) as f:
    for row in csv.DictReader(f):
      if row.get(column):
        rows[int(row["iteration"])] = (int(row["env_steps"]), float(row[column]))
  points = [rows[k] for k in sorted(rows)]
  return np.array([p[0] for p in points]), np.array([p[1] for p in points])


def _read_tensorboard(log_dir: str, column: str) -> Curve:
  """Scalars written by tf.summary (step = env steps) from every event file under log_dir."""
  from tensorboard.backend.event_processing import event_accumulator
  from tensorboard.util import tensor_util
  points = {}
  for events in sorted(glob.glob(os.path.join(log_dir, "**", "events.out.tfevents.*"), recursive=True)):
    acc = event_accumulator.EventAccumulator(events, size_guidance={event_accumulator.TENSORS: 0,
                                                                    event_accumulator.SCALARS: 0})
    acc.Reload()
    tags = acc.Tags()
    if column in tags.get("tensors", []):
      for e in acc.Tensors(column):
        points[e.step] = float(tensor_util.make_ndarray(e.tensor_proto))
    elif column in tags.get("scalars", []):
      for e in acc.Scalars(column):
        points[e.step] = e.value
  steps = sorted(points)
  return np.array(steps), np.array([points[s] for s in steps])


def read_curve(path: str, column: str = "episode/return_recent20") -> Curve:
  """A run directory, a progress CSV or a TensorBoard log directory → (env_steps, values)."""
  if os.path.isfile(path):
    return _read_csv(path, column)
  if os.path.isfile(os.path.join(path, "progress.csv")):
    return _read_csv(os.path.join(path, "progress.csv"), column)
  tb = os.path.join(path, "tb")
  steps, values = _read_tensorboard(tb if os.path.isdir(tb) else path, column)
  if not len(steps):
    raise SystemExit(f"error: no {column!r} data in {path} (neither progress.csv nor TensorBoard scalars)")
  return steps, values


def mean_band(curves: Sequence[Curve], points: int = 200):
  """Mean and min/max of several curves on a common grid of env steps (up to the shortest run)."""
  end = min(c[0][-1] for c in curves)
  start = max(c[0][0] for c in curves)
  grid = np.linspace(start, end, points)
  ys = np.stack([np.interp(grid, s, v) for s, v in curves])
  return grid, ys.mean(0), ys.min(0), ys.max(0)


LEGEND_INSIDE = 4   # groups whose legend still fits inside the axes


def plot_groups(groups: Dict[str, List[str]], out: str, column: str = "episode/return_recent20",
                title: str = "", ylabel: str = "", target: Optional[float] = None,
                final_points: Optional[Dict[str, Sequence[Tuple[float, float]]]] = None) -> None:
  """One line per group (mean over its runs, min-max shaded when it has several).

  `target` draws a dashed horizontal line; `final_points[label]` adds markers (x, y), e.g. each
  seed's final deterministic evaluation, in the colour of that group's line. With more than
  LEGEND_INSIDE groups (ablation tables) the legend goes beside the axes, one entry per group,
  so it cannot cover the curves.
  """
  many = len(groups) > LEGEND_INSIDE
  fig, ax = plt.subplots(figsize=(10, 4.8) if many else (7, 4), dpi=100)
  colours = {}
  for label, paths in groups.items():
    curves = [read_curve(p, column) for p in paths]
    if len(curves) == 1:
      line, = ax.plot(*curves[0], label=label, linewidth=1.2)
    else:
      grid, mean, low, high = mean_band(curves)
      line, = ax.plot(grid, mean, label=f"{label} (mean of {len(curves)})", linewidth=1.4)
      ax.fill_between(grid, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
    colours[label] = line.get_color()
  for label, points in (final_points or {}).items():
    ax.scatter([p[0] for p in points], [p[1] for p in points], marker="D", s=28, zorder=3,
               color=colours.get(label), label=None if many else f"{label}: final deterministic eval, per seed")
  if many and final_points:
    ax.scatter([], [], marker="D", s=28, color="gray", label="final deterministic eval, per seed (group colour)")
  if target is not None:
    ax.axhline(target, linestyle="--", color="gray", linewidth=1.0, label=f"target {target:,.0f}")
  ax.set_xlabel("environment (simulator) steps")
  ax.set_ylabel(ylabel or ("training return (recent 20 episodes)" if column == "episode/return_recent20" else column))
  ax.set_title(title or f"{column} (training episodes, stochastic policy)")
  ax.grid(alpha=0.3)
  if many:
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False,
              ncol=1 if len(groups) <= 16 else 2)
  else:
    ax.legend()
  fig.tight_layout()
  os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
  fig.savefig(out, bbox_inches="tight" if many else None)
  plt.close(fig)


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("runs", nargs="+", help="run dirs, progress.csv files or TensorBoard log dirs")
  parser.add_argument("--out", required=True)
  parser.add_argument("--column", default="episode/return_recent20")
  parser.add_argument("--label", action="append", help="one per run (default: its name); equal labels are averaged")
  parser.add_argument("--title", default=None)
  args = parser.parse_args()
  labels = args.label or [os.path.basename(os.path.normpath(r)) for r in args.runs]
  if len(labels) != len(args.runs):
    raise SystemExit(f"error: {len(labels)} --label values for {len(args.runs)} runs")
  groups: Dict[str, List[str]] = {}
  for run, label in zip(args.runs, labels):
    groups.setdefault(label, []).append(run)
  plot_groups(groups, args.out, args.column, args.title or "")
  print(f"wrote {args.out}")


if __name__ == "__main__":
  main()
