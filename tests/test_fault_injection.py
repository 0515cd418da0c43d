"""Crash safety: a run SIGKILLed again and again, also while writing checkpoints and exports,
resumes every time and ends exactly as an uninterrupted run would be counted (tests/fault_injection.py)."""

import os

from tests.fault_injection import check_versions_load, run_soak


def test_run_survives_repeated_sigkill(tmp_path):
  run_dir, export_dir = str(tmp_path / "run"), str(tmp_path / "models")
  # One kill of each kind (while a checkpoint is written, while an export is written, during training,
  # at a random moment after start-up); benchmarks/kill_soak.py does hundreds.
  result = run_soak(run_dir, export_dir, total_steps=64 * 30, kills=4, seed=1, max_delay=8.0, modes=(2, 3, 1, 0))
  assert result.kills == 4, result          # the run was still training at every kill
  assert result.iterations >= 30 and result.versions >= 2
  iterations = check_versions_load(export_dir)
  assert iterations[-1] == result.iterations
  assert not [n for n in os.listdir(export_dir) if n.startswith(".")]   # temporaries were cleaned up
  assert not [n for n in os.listdir(os.path.join(run_dir, "checkpoints")) if n.endswith("_temp")]
