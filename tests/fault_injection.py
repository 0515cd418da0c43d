"""SIGKILL a real training run at many moments, resume it each time, check what it leaves.

Shared by tests/test_fault_injection.py (a handful of kills, part of `make test`)
and benchmarks/kill_soak.py (hundreds). Every iteration checkpoints and exports
(--checkpoint_every=1 --export_every=1), so many kills land while a checkpoint
or a SavedModel is being written. After every kill the export base may hold
only complete integer versions (and our hidden temporaries); at the end the run
must have reached its total steps with consistent counters, and every exported
version must load with the TF1 session loader (TF Serving's path).
"""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from typing import Dict, NamedTuple, Sequence

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAIN = os.path.join(ROOT, "launchers", "train.py")
NUM_ENVS, STEPS_PER_ENV = 2, 32
FLAGS = ("--preset=cartpole", f"--num_envs={NUM_ENVS}", f"--steps_per_env={STEPS_PER_ENV}",
         "--checkpoint_every=1", "--export_every=1", "--keep_checkpoints=2", "--eval_episodes=0",
         "--progress=false")


class SoakResult(NamedTuple):
  kills: int
  kills_by_moment: Dict[str, int]   # what was being written when the kill came (a snapshot just before)
  starts: int
  env_steps: int
  iterations: int
  versions: int
  seconds: float


def _rows(run_dir: str) -> int:
  try:
    with open(os.path.join(run_dir, "progress.csv")) as f:
      return sum(1 for _ in f)
  except OSError:
    return 0


def _moment(run_dir: str, export_dir: str, rows_at_start: int) -> str:
  """What the kill interrupted, from what it left half-written (or whether training had begun)."""
  ckpt_dir = os.path.join(run_dir, "checkpoints")
  if os.path.isdir(ckpt_dir) and any(n.endswith("_temp") for n in os.listdir(ckpt_dir)):
    return "checkpoint write"
  if os.path.isdir(export_dir) and any(n.startswith(".") for n in os.listdir(export_dir)):
    return "export write"
  return "training" if _rows(run_dir) > rows_at_start else "start-up"


def _wait_until_training(proc, run_dir: str, rows_at_start: int, timeout: float) -> None:
  deadline = time.time() + timeout
  while time.time() < deadline and proc.poll() is None and _rows(run_dir) <= rows_at_start:
    time.sleep(0.05)


def _wait_for_write(proc, directory: str, is_temp, timeout: float) -> None:
  """Polls (~0.2 ms) until a temporary of the kind `is_temp` recognises exists in `directory`."""
  deadline = time.time() + timeout
  while time.time() < deadline and proc.poll() is None:
    try:
      if any(is_temp(n) for n in os.listdir(directory)):
        return
    except OSError:
      pass
    time.sleep(0.0002)


def check_export_base(export_dir: str) -> int:
  """Every visible entry is a complete integer version; returns how many there are."""
  if not os.path.isdir(export_dir):
    return 0
  visible = [n for n in os.listdir(export_dir) if not n.startswith(".")]
  for name in visible:
    path = os.path.join(export_dir, name)
    assert name.isdigit(), f"unexpected entry {path}"
    for part in ("saved_model.pb", "variables/variables.index", "assets/trpo_tf_policy.json"):
      assert os.path.exists(os.path.join(path, part)), f"half-written version {path}: no {part}"
  return len(visible)


def run_soak(run_dir: str, export_dir: str, total_steps: int, kills: int, seed: int = 0,
             max_delay: float = 12.0, log=lambda *_: None, modes: Sequence[int] = ()) -> SoakResult:
  """Starts (or resumes) the run and SIGKILLs it `kills` times at random moments, then finishes it.

  Kills come, with equal chances: at a uniform time in (0.5, max_delay) s
  after the start (start-up included); at a uniform time in (0, 1.5) s after
  the restarted run logs its first iteration; the moment a checkpoint's
  temporary directory appears (TensorFlow's ckpt-N_temp, a window of
  milliseconds); the moment an export's temporary directory appears.
  """
  rng = np.random.default_rng(seed)
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
  started, moments, starts, done = time.perf_counter(), {}, 0, 0
  while done < kills:
    resume = ["--resume"] if os.path.exists(os.path.join(run_dir, "config.json")) else []
    proc = subprocess.Popen([sys.executable, TRAIN, *FLAGS, f"--total_steps={total_steps}",
                             f"--run_dir={run_dir}", "--export", f"--export_dir={export_dir}", *resume],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    starts += 1
    rows_at_start = _rows(run_dir)
    mode = modes[done % len(modes)] if modes else rng.integers(4)
    try:
      if mode == 0:
        proc.wait(timeout=rng.uniform(0.5, max_delay))
      else:
        _wait_until_training(proc, run_dir, rows_at_start, timeout=120)
        if mode == 2:
          _wait_for_write(proc, os.path.join(run_dir, "checkpoints"), lambda n: n.endswith("_temp"), 30)
        elif mode == 3:
          _wait_for_write(proc, export_dir, lambda n: n.startswith("."), 30)
        proc.wait(timeout=rng.uniform(0.0, 1.5) if mode == 1 else 0.0)
    except subprocess.TimeoutExpired:
      proc.send_signal(signal.SIGKILL)
      proc.wait()
      moment = _moment(run_dir, export_dir, rows_at_start)
      moments[moment] = moments.get(moment, 0) + 1
      done += 1
      check_export_base(export_dir)
      log(f"kill {done}/{kills} during {moment}")
      continue
    assert proc.returncode == 0, proc.stderr.read()[-3000:]
    break   # the run finished before all kills were spent
  final = subprocess.run([sys.executable, TRAIN, *FLAGS, f"--run_dir={run_dir}", "--resume"],
                         cwd=ROOT, env=env, capture_output=True, text=True)
  assert final.returncode == 0, final.stderr[-3000:]
  env_steps, iterations = check_run(run_dir, total_steps)
  versions = check_export_base(export_dir)
  return SoakResult(done, moments, starts + 1, env_steps, iterations, versions, time.perf_counter() - started)


def check_run(run_dir: str, total_steps: int):
  """The run reached total_steps; checkpoint, progress.csv and finished.json tell one story."""
  import tensorflow as tf
  reader = tf.train.load_checkpoint(os.path.join(run_dir, "checkpoints"))
  env_steps = int(reader.get_tensor("env_steps/.ATTRIBUTES/VARIABLE_VALUE"))
  iterations = int(reader.get_tensor("iteration/.ATTRIBUTES/VARIABLE_VALUE"))
  assert env_steps >= total_steps
  with open(os.path.join(run_dir, "progress.csv")) as f:
    rows = list(csv.DictReader(f))
  # Each iteration exactly once, in order, although many were interrupted and redone.
  assert [int(r["iteration"]) for r in rows] == list(range(1, iterations + 1))
  steps = [0] + [int(r["env_steps"]) for r in rows]
  increments = np.diff(steps)
  batch = NUM_ENVS * STEPS_PER_ENV
  assert np.all((increments > batch // 2) & (increments <= batch)), increments   # minus autoreset rows
  assert steps[-1] == env_steps   # the counters are the sum of the work, nothing counted twice or lost
  with open(os.path.join(run_dir, "finished.json")) as f:
    assert json.load(f)["env_steps"] == env_steps
  return env_steps, iterations


def check_versions_load(export_dir: str) -> list:
  """Loads every version with the TF1 session loader (TF Serving's) and runs serving_default once."""
  import tensorflow as tf
  iterations = []
  for name in sorted(os.listdir(export_dir), key=lambda n: int(n) if n.isdigit() else -1):
    if not name.isdigit():
      continue
    path = os.path.join(export_dir, name)
    with tf.compat.v1.Session(graph=tf.Graph()) as sess:
      meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], path)
      sig = meta.signature_def["serving_default"]
      actions = sess.run(sig.outputs["actions"].name,
                         {sig.inputs["observations"].name: np.zeros((3, 4), np.float32)})
      assert actions.shape == (3,)
    with open(os.path.join(path, "assets", "trpo_tf_policy.json")) as f:
      iterations.append(json.load(f)["iteration"])
  assert iterations == sorted(iterations), iterations   # versions follow the training order
  return iterations
