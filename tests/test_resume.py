"""A run killed at any moment resumes from its last checkpoint with its state intact."""

import csv
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import ROOT, TRAIN, run_train, train_run
from trpo_tf.checkpoints import RunDirectory, package_versions
from trpo_tf.presets import preset
from trpo_tf.trainer import Trainer


def test_restore_brings_back_every_piece_of_state(tmp_path):
  config = preset("pendulum").override(total_steps=8 * 256 * 3, checkpoint_every=1, eval_episodes=0)
  first, _ = train_run(config, tmp_path / "run")
  saved = {
      "policy": [v.numpy() for v in first.policy.weights],
      "value": [v.numpy() for v in first.value_net.weights],
      "adam": [np.asarray(v) for v in first.learner.value_optimizer.variables],
      "steps": int(first.env_steps.numpy()), "iteration": int(first.iteration.numpy()),
      "reward_var": first.sampler.reward_scaler.var,
  }
  assert saved["iteration"] >= 3 and int(np.asarray(first.learner.value_optimizer.iterations)) > 0
  assert first.run.read_json("versions.json") == {"current": package_versions(), "earlier": []}
  second = Trainer(config.override(total_steps=8 * 256 * 5), str(tmp_path / "run"), resume=True,
                   show_progress=False)   # inspected before training, so not via train_run
  for a, b in zip(saved["policy"], second.policy.weights):   # includes the normaliser statistics
    np.testing.assert_array_equal(a, b.numpy())
  for a, b in zip(saved["value"], second.value_net.weights):
    np.testing.assert_array_equal(a, b.numpy())
  for a, b in zip(saved["adam"], second.learner.value_optimizer.variables):
    np.testing.assert_array_equal(a, np.asarray(b))
  assert int(second.env_steps.numpy()) == saved["steps"]
  assert int(second.iteration.numpy()) == saved["iteration"]
  assert second.sampler.reward_scaler.var == saved["reward_var"]
  assert second.sampler.vector_steps == saved["iteration"] * 256
  result = second.train()
  second.close()
  assert result.iterations > saved["iteration"] and result.env_steps >= 8 * 256 * 5


def _latest_checkpoint_steps(run_dir):
  reader = tf.train.load_checkpoint(os.path.join(run_dir, "checkpoints"))
  return int(reader.get_tensor("env_steps/.ATTRIBUTES/VARIABLE_VALUE"))


def test_versions_json_records_the_stack_and_a_resume_under_another_warns(tmp_path):
  """package_versions reads installed metadata (mujoco's is what `import mujoco` reports); versions.json keeps
  the current set, and a resume under other versions warns once per changed package and keeps the old set."""
  import mujoco
  versions = package_versions()
  assert versions["mujoco"] == mujoco.__version__ and versions["tensorflow"] == tf.__version__
  assert versions["python"] == ".".join(map(str, sys.version_info[:3]))
  run, warnings = RunDirectory(str(tmp_path / "run")), []
  run.record_versions(versions, warn=warnings.append)
  run.record_versions(dict(versions), warn=warnings.append)   # the same stack: nothing to say
  assert warnings == [] and run.read_json("versions.json") == {"current": versions, "earlier": []}
  newer = dict(versions, mujoco="9.9.9", envpool=None)
  run.record_versions(newer, warn=warnings.append)
  assert len(warnings) == 2
  assert warnings[0].startswith("resuming with envpool not installed; this run trained with " + versions["envpool"])
  assert warnings[1].startswith(f"resuming with mujoco 9.9.9; this run trained with {versions['mujoco']} so far")
  assert run.read_json("versions.json") == {"current": newer, "earlier": [versions]}


def test_killed_launcher_resumes(tmp_path):
  run_dir = str(tmp_path / "run")
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
  proc = subprocess.Popen([sys.executable, TRAIN, "--progress=false", "--export=false", "--preset=cartpole",
                           "--total_steps=10000000", "--checkpoint_every=1", f"--run_dir={run_dir}"],
                          cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
  index = os.path.join(run_dir, "checkpoints", "checkpoint")
  deadline = time.time() + 240
  while time.time() < deadline:
    if os.path.exists(index) and _latest_checkpoint_steps(run_dir) >= 3 * 1024:
      break
    time.sleep(0.2)
  proc.send_signal(signal.SIGKILL)   # no chance to clean up
  proc.wait()
  steps_at_kill = _latest_checkpoint_steps(run_dir)
  assert steps_at_kill >= 3 * 1024
  target = steps_at_kill + 3 * 1024
  # No --export flag: the run's own --export=false must survive the resume.
  done = subprocess.run([sys.executable, TRAIN, "--progress=false", "--resume", f"--run_dir={run_dir}",
                         f"--total_steps={target}", "--eval_episodes=1"], capture_output=True, text=True,
                        cwd=ROOT, env=env, timeout=600)
  assert done.returncode == 0, done.stderr[-2000:]
  assert "exported SavedModel" not in done.stdout, done.stdout
  assert _latest_checkpoint_steps(run_dir) >= target
  with open(os.path.join(run_dir, "progress.csv")) as f:
    rows = list(csv.DictReader(f))
  resumed = [r for r in rows if int(r["env_steps"]) > steps_at_kill]
  # The first resumed iteration continues from the checkpointed counter, not from 0.
  assert resumed and int(resumed[0]["env_steps"]) <= steps_at_kill + 1024
  assert os.path.exists(os.path.join(run_dir, "eval.json"))


def _small_run(tmp_path, iterations=4, **overrides):
  """A CartPole run of about `iterations` iterations (autoreset rows make it one or two more)."""
  config = preset("cartpole").override(num_envs=2, steps_per_env=64, total_steps=128 * iterations,
                                       checkpoint_every=1, keep_checkpoints=5, eval_episodes=0, **overrides)
  trainer, _ = train_run(config, tmp_path / "run")
  return config, str(tmp_path / "run"), [int(trainer.env_steps.numpy())]


def _restored(config, run_dir):
  trainer = Trainer(config, run_dir, resume=True, show_progress=False)
  trainer.close()
  return trainer


def test_resume_falls_back_to_the_newest_intact_checkpoint(tmp_path, capsys):
  config, run_dir, _ = _small_run(tmp_path)
  ckpts = os.path.join(run_dir, "checkpoints")
  last = int(tf.train.latest_checkpoint(ckpts).rsplit("-", 1)[1])
  good, bad_index, bad_data = last - 2, last - 1, last
  good_steps = int(tf.train.load_checkpoint(os.path.join(ckpts, f"ckpt-{good}"))
                   .get_tensor("env_steps/.ATTRIBUTES/VARIABLE_VALUE"))
  data = os.path.join(ckpts, f"ckpt-{bad_data}.data-00000-of-00001")
  with open(data, "rb") as f:
    head = f.read(100)
  with open(data, "wb") as f:
    f.write(head)                                      # truncated data file
  index = os.path.join(ckpts, f"ckpt-{bad_index}.index")
  with open(index, "rb") as f:
    head = f.read(40)
  with open(index, "wb") as f:
    f.write(head)                                      # truncated index file
  with open(os.path.join(ckpts, "checkpoint"), "w") as f:
    f.write("garbage\x00")                             # and a damaged checkpoint index
  os.makedirs(os.path.join(ckpts, f"ckpt-{last + 1}_temp"))   # what a kill mid-save leaves
  trainer = _restored(config, run_dir)
  warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
  assert trainer.resumed_from.endswith(f"ckpt-{good}") and int(trainer.env_steps.numpy()) == good_steps
  assert int(trainer.iteration.numpy()) == good
  assert len(warnings) == 2 and f"ckpt-{bad_data}:" in warnings[0] and f"ckpt-{bad_index}:" in warnings[1]
  assert not os.path.exists(os.path.join(ckpts, f"ckpt-{last + 1}_temp"))
  assert tf.train.latest_checkpoint(ckpts).endswith(f"ckpt-{good}")   # the index was rebuilt
  # Continuing overwrites the damaged numbers with good checkpoints.
  trainer = Trainer(config.override(total_steps=config.run.total_steps + 256), run_dir, resume=True,
                    show_progress=False)
  result = trainer.train()
  trainer.close()
  assert result.iterations > last and tf.train.latest_checkpoint(ckpts).endswith(f"ckpt-{result.iterations}")


def test_resume_fails_in_one_line_when_no_checkpoint_restores(tmp_path):
  from trpo_tf.config import ConfigError
  config, run_dir, _ = _small_run(tmp_path, iterations=2)
  for name in os.listdir(os.path.join(run_dir, "checkpoints")):
    if name.endswith(".index"):
      with open(os.path.join(run_dir, "checkpoints", name), "wb") as f:
        f.write(b"not an sstable")
  with pytest.raises(ConfigError, match=r"none of the \d checkpoints .* restores"):
    Trainer(config, run_dir, resume=True, show_progress=False)


def test_a_run_without_checkpoint_resumes_from_iteration_zero(tmp_path):
  from trpo_tf.checkpoints import RunDirectory
  config = preset("cartpole").override(num_envs=2, steps_per_env=64, total_steps=256, eval_episodes=0)
  run = RunDirectory(str(tmp_path / "run"))
  run.write_config(config)                 # what a run killed before its first checkpoint leaves
  with open(os.path.join(run.path, "progress.csv"), "w") as f:
    f.write("iteration,env_steps\n1,12")   # and a half-written progress row
  proc = run_train(f"--run_dir={run.path}", "--resume")
  assert proc.returncode == 0, proc.stderr
  assert "no checkpoint yet: starting it from iteration 0" in proc.stdout
  with open(os.path.join(run.path, "progress.csv")) as f:
    rows = list(csv.DictReader(f))
  iterations = [int(r["iteration"]) for r in rows]   # the stale half row is gone, each iteration once
  assert len(iterations) >= 2 and iterations == list(range(1, len(iterations) + 1))


def test_changed_sampler_settings_are_named(tmp_path):
  config, run_dir, _ = _small_run(tmp_path, iterations=1)
  proc = run_train(f"--run_dir={run_dir}", "--resume", "--num_envs=4", timeout=120)
  assert proc.returncode == 2
  assert proc.stderr.strip() == (f"error: cannot resume: num_envs is 4 but the run was trained with 2 "
                                 f"({run_dir}/config.json); sampler settings cannot change")


def _rows(path):
  if not os.path.exists(path):
    return 0
  with open(path) as f:
    return len(f.readlines()) - 1


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_saves_a_checkpoint_and_exits_cleanly(tmp_path, sig, code):
  run_dir = str(tmp_path / "run")
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
  proc = subprocess.Popen([sys.executable, TRAIN, "--progress=false", "--export=false", "--preset=cartpole",
                           "--total_steps=10000000", "--checkpoint_every=1000", f"--run_dir={run_dir}"],
                          cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
  progress = os.path.join(run_dir, "progress.csv")
  deadline = time.time() + 240
  while time.time() < deadline and _rows(progress) < 2:
    time.sleep(0.2)
  proc.send_signal(sig)
  out, err = proc.communicate(timeout=120)
  assert proc.returncode == code, err
  assert "Traceback" not in err and "interrupted at" in err and "--resume" in err
  with open(progress) as f:
    last = list(csv.DictReader(f))[-1]
  # The checkpoint (not due for 1000 iterations) was written at the iteration the loop stopped after.
  assert _latest_checkpoint_steps(run_dir) == int(last["env_steps"])
  assert tf.train.latest_checkpoint(os.path.join(run_dir, "checkpoints")).endswith(f"ckpt-{last['iteration']}")


def test_resume_records_total_steps_keeps_export_choice_and_does_not_redo_a_finished_run(tmp_path):
  """--export survives a resume here; --export=false survives one in test_killed_launcher_resumes."""
  run_dir, models = tmp_path / "run", tmp_path / "models"
  first = run_train("--preset=cartpole", f"--run_dir={run_dir}", "--export", f"--export_dir={models}",
                    "--num_envs=2", "--steps_per_env=64", "--total_steps=128", "--eval_episodes=1")
  assert first.returncode == 0, first.stderr
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
  resume = [sys.executable, TRAIN, "--progress=false", f"--run_dir={run_dir}", "--resume"]
  longer = subprocess.run(resume + ["--total_steps=256"], capture_output=True, text=True, cwd=ROOT, env=env)
  assert longer.returncode == 0, longer.stderr
  assert "resume changes total_steps 128 → 256 (recorded in config.json)" in longer.stdout
  assert sorted(os.listdir(models)) == ["1", "2"]          # the export choice survived the resume
  again = subprocess.run(resume, capture_output=True, text=True, cwd=ROOT, env=env)
  assert again.returncode == 0, again.stderr
  assert "nothing to do: the run already finished at" in again.stdout
  assert sorted(os.listdir(models)) == ["1", "2"]          # no duplicate version


def test_a_second_interrupt_exits_at_once(tmp_path):
  run_dir = str(tmp_path / "run")
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
  proc = subprocess.Popen([sys.executable, TRAIN, "--progress=false", "--export=false", "--preset=cartpole",
                           "--num_envs=1", "--steps_per_env=10000", "--total_steps=10000000", f"--run_dir={run_dir}"],
                          cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
  deadline = time.time() + 240
  while time.time() < deadline and _rows(os.path.join(run_dir, "progress.csv")) < 1:
    time.sleep(0.2)
  proc.send_signal(signal.SIGINT)   # mid-iteration: iterations of 10,000 steps take seconds
  first = ""
  while "stopping at the next safe point" not in first:
    first = proc.stderr.readline()
  proc.send_signal(signal.SIGINT)
  _, err = proc.communicate(timeout=60)
  assert proc.returncode == 130 and "SIGINT again: exiting now" in err and "Traceback" not in err, err
  assert "interrupted at" not in err   # it did not wait for the iteration to end


def test_stale_export_temporaries_of_dead_writers_are_removed(tmp_path):
  from trpo_tf.serving_layout import remove_stale_temporaries, temp_prefix
  dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
  names = [f".tmp-export-{int(dead.stdout)}-abc", ".tmp-export-xyz", temp_prefix() + "live", "1", "2", ".other"]
  for name in names:
    (tmp_path / name).mkdir()
  removed = remove_stale_temporaries(str(tmp_path))
  assert sorted(os.path.basename(p) for p in removed) == sorted(names[:2])
  assert sorted(os.listdir(tmp_path)) == sorted(names[2:])   # a running writer's and every version stay


def test_resuming_a_run_from_an_older_version_keeps_its_progress_columns(tmp_path):
  """A progress.csv written before a column was added keeps its header and rows on resume; the rows
  past the restored iteration are dropped and new rows follow the old header."""
  import types

  from trpo_tf.progress import CSV_COLUMNS, ProgressReporter
  old = list(CSV_COLUMNS[:-1])
  path = tmp_path / "progress.csv"
  with open(path, "w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow(old)
    for i in (1, 2, 3):
      writer.writerow([i, 100 * i] + ["0.5"] * (len(old) - 2))
  run = types.SimpleNamespace(path=str(tmp_path), tensorboard_dir=str(tmp_path / "tb"))
  reporter = ProgressReporter(run, total_steps=1000, initial_steps=200, show_bar=False, initial_iteration=2)
  reporter.report(300, 3, {CSV_COLUMNS[-1]: 0.25, "trpo/mean_kl": 0.01})
  reporter.close()
  with open(path, newline="") as f:
    rows = list(csv.reader(f))
  assert rows[0] == old and [r[0] for r in rows[1:]] == ["1", "2", "3"]
  assert all(len(r) == len(old) for r in rows) and rows[3][old.index("trpo/mean_kl")] == "0.01"


def test_progress_writes_every_scalar_to_tensorboard_at_its_step(tmp_path, monkeypatch):
  """Each non-None metric under its name at the iteration's env step, as float32 (what tf.summary.scalar
  wrote before the reporter stopped calling TF), readable by TensorBoard's scalar loader."""
  import types

  from trpo_tf.progress import ProgressReporter
  run = types.SimpleNamespace(path=str(tmp_path), tensorboard_dir=str(tmp_path / "tb"))
  reporter = ProgressReporter(run, total_steps=1000, initial_steps=0, show_bar=False)
  reported = [(100, {"trpo/mean_kl": 0.0123, "episode/return": None}),
              (200, {"trpo/mean_kl": 0.02, "episode/return": 17.5, "value/loss_before_fit": np.float32(3.25)}),
              (300, {"trpo/mean_kl": 1e-7, "episode/return": None, "sampler/steps_per_env": 128})]   # numpy, int
  for i, (steps, metrics) in enumerate(reported, start=1):
    reporter.report(steps, i, metrics)
  reporter.close()
  written = set()
  for name in os.listdir(tmp_path / "tb"):
    for event in tf.compat.v1.train.summary_iterator(str(tmp_path / "tb" / name)):
      written.update((event.step, v.tag, v.simple_value) for v in event.summary.value)
  expected = {(steps, tag, float(np.float32(value))) for steps, metrics in reported
              for tag, value in metrics.items() if value is not None}
  assert written == expected
  monkeypatch.syspath_prepend(os.path.join(ROOT, "benchmarks"))
  import plot_curves   # what the curve plots read
  steps, values = plot_curves._read_tensorboard(str(tmp_path / "tb"), "episode/return")
  assert steps.tolist() == [200] and values.tolist() == [17.5]
