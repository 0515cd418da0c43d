"""Progress output of a run: a tqdm bar (steps/s, recent return), TensorBoard
scalars and a progress.csv with one row per iteration."""

import csv
import os
import sys
import time
from typing import Dict, Optional

import tensorflow as tf
import tqdm

CSV_COLUMNS = ("iteration", "env_steps", "wall_seconds", "episode/return", "episode/return_recent20",
               "episode/length", "trpo/mean_kl", "trpo/improvement", "trpo/expected_improvement",
               "trpo/accepted", "trpo/line_search_tries", "trpo/entropy", "policy/log_std_mean",
               "value/loss_before_fit", "value/explained_variance", "time/sample_seconds",
               "time/update_seconds")


class ProgressReporter:

  def __init__(self, run, total_steps: int, initial_steps: int, show_bar: bool = True):
    os.makedirs(run.path, exist_ok=True)
    self._writer = tf.summary.create_file_writer(run.tensorboard_dir)
    csv_path = os.path.join(run.path, "progress.csv")
    new_file = not os.path.exists(csv_path)
    self._csv_file = open(csv_path, "a", newline="")  # noqa: SIM115 (open for the run; close() closes it)
    self._csv = csv.writer(self._csv_file)
    if new_file:
      self._csv.writerow(CSV_COLUMNS)
    self._start = time.perf_counter()
    self._last_steps = initial_steps
    self._bar = tqdm.tqdm(total=total_steps, initial=initial_steps, unit="step", unit_scale=True,
                          dynamic_ncols=True, mininterval=1.0, file=sys.stderr,
                          disable=not show_bar)

  def report(self, env_steps: int, iteration: int, metrics: Dict[str, Optional[float]]) -> None:
    row = dict(metrics, iteration=iteration, env_steps=env_steps,
               wall_seconds=time.perf_counter() - self._start)
    self._csv.writerow(["" if row.get(c) is None else row[c] for c in CSV_COLUMNS])
    self._csv_file.flush()
    with self._writer.as_default(step=env_steps):
      for name, value in metrics.items():
        if value is not None:
          tf.summary.scalar(name, value)
    self._bar.update(env_steps - self._last_steps)
    self._last_steps = env_steps
    recent = metrics.get("episode/return_recent20")
    self._bar.set_postfix_str(
        f"it={iteration} ret={'-' if recent is None else f'{recent:.1f}'} "
        f"kl={metrics.get('trpo/mean_kl', 0.0):.4f}", refresh=False)

  def close(self) -> None:
    self._bar.close()
    self._writer.flush()
    self._csv_file.close()
