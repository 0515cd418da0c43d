"""Crash safety: a run SIGKILLed again and again, also while writing checkpoints and exports,
resumes every time and ends exactly as an uninterrupted run would be counted (tests/fault_injection.py)."""

import os

from tests.fault_injection import check_versions_load, run_soak


def test_run_survives_repeated_sigkill(tmp_path):
  run_dir, export_dir = str(tmp_path / "run"), str(tmp_path / "models")
  result = run_soak(run_dir, export_dir, total_steps=64 * 40, kills=6, seed=1, max_delay=10.0)
  assert result.kills == 6, result          # the run was still training at every kill
  assert result.iterations >= 40 and result.versions >= 2
  iterations = check_versions_load(export_dir)
  assert iterations[-1] == result.iterations
  assert not [n for n in os.listdir(export_dir) if n.startswith(".")]   # temporaries were cleaned up
  assert not [n for n in os.listdir(os.path.join(run_dir, "checkpoints")) if n.endswith("_temp")]
