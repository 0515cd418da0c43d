"""launchers/evaluate.py and launchers/export.py on bad input: exactly one `error: ...` line on stderr,
exit status 2, nothing written; and the inputs they used to fail on (TF-Agents exports, classic-control
videos) now work."""

import importlib.util
import os
import subprocess
import sys

import pytest

from tests.helpers import ROOT

# Runs a launcher with TensorFlow unimportable: an error reported this way came before any TF work.
_WITHOUT_TF = ("import runpy, sys; sys.modules['tensorflow'] = None; sys.argv = sys.argv[1:]; "
               "runpy.run_path(sys.argv[0], run_name='__main__')")


def run_launcher(name, *flags, without_tf=False, env_extra=None, timeout=300):
  """Runs launchers/<name> in a fresh process; returns the CompletedProcess."""
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", **(env_extra or {}))
  script = os.path.join(ROOT, "launchers", name)
  cmd = [sys.executable, "-c", _WITHOUT_TF, script] if without_tf else [sys.executable, script]
  return subprocess.run(cmd + list(flags), capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env)


def assert_one_error(proc, message):
  assert proc.returncode == 2, proc.stderr[-3000:]
  lines = proc.stderr.splitlines()
  assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], proc.stderr[-3000:]


def snapshot(*roots):
  """Every path under roots with its size: equal snapshots mean nothing was created, removed or rewritten."""
  found = set()
  for root in map(str, roots):
    for folder, dirs, files in os.walk(root):
      found.update((os.path.join(folder, d), -1) for d in dirs)
      found.update((os.path.join(folder, f), os.path.getsize(os.path.join(folder, f))) for f in files)
  return found


@pytest.fixture
def cartpole(trained_cartpole):
  """The shared tiny trained CartPole run (tests/conftest.py): (run_dir, base, version)."""
  return trained_cartpole


@pytest.fixture(scope="module")
def tf_agents_run(tmp_path_factory):
  """One iteration of launchers/train_tf_agents.py on CartPole: (run_dir with policy/, export base)."""
  root = tmp_path_factory.mktemp("tfa")
  proc = run_launcher("train_tf_agents.py", "--preset=cartpole", "--total_steps=1", "--num_envs=2",
                      "--steps_per_env=16", "--eval_episodes=0", f"--run_dir={root / 'run'}",
                      f"--export_dir={root / 'models'}")
  assert proc.returncode == 0, proc.stderr[-2000:]
  return root / "run", root / "models"


# -- every launcher: what absl parses ------------------------------------------------------------------------

_CASES = {
    "unknown flag": (["--max_kll=0.02"], "Unknown command line flag 'max_kll'"),
    "positional argument": (["positional"], "unexpected arguments: positional (flags are --name=value)"),
}
# A value of the wrong type, for a launcher's integer flag (export.py has string flags only).
_BAD_VALUES = {"train.py": "seed", "train_tf_agents.py": "log_every", "evaluate.py": "seed"}


@pytest.mark.parametrize("name, flags, message", [
    *[(name, flags, message) for name in ("train.py", "train_tf_agents.py", "evaluate.py", "export.py")
      for flags, message in _CASES.values()],
    *[(name, [f"--{flag}=one"], f"flag --{flag}=one: invalid literal for int()") for name, flag in _BAD_VALUES.items()],
])
def test_every_launcher_reports_flag_parsing_errors_as_one_line(tmp_path, name, flags, message):
  """absl's own parser would print a FATAL line and a help hint (or the whole usage text) and exit 1."""
  required = {"evaluate.py": [f"--model_dir={tmp_path}"], "export.py": [f"--run_dir={tmp_path}"]}.get(name, [])
  before = snapshot(tmp_path)
  assert_one_error(run_launcher(name, *required, *flags, without_tf=True), message)
  assert snapshot(tmp_path) == before


@pytest.mark.parametrize("name, flag", [("evaluate.py", "model_dir"), ("export.py", "run_dir")])
def test_a_missing_required_flag_is_named(name, flag):
  assert_one_error(run_launcher(name, without_tf=True), f"error: --{flag} is required")


# -- evaluate.py: bad input ------------------------------------------------------------------------------

def test_evaluate_rejects_missing_and_non_model_dirs(tmp_path):
  (tmp_path / "not_a_model").mkdir()
  (tmp_path / "not_a_model" / "notes.txt").write_text("hello")
  before = snapshot(tmp_path)
  for model_dir, message in ((tmp_path / "nowhere", "does not exist"),
                             (tmp_path / "not_a_model", "is not a SavedModel: it holds neither saved_model.pb"),
                             (tmp_path / "not_a_model" / "notes.txt", "is a file")):
    proc = run_launcher("evaluate.py", f"--model_dir={model_dir}", f"--video_dir={tmp_path / 'videos'}",
                        without_tf=True)
    assert_one_error(proc, message)
  assert snapshot(tmp_path) == before


def test_evaluate_rejects_a_garbage_saved_model(tmp_path):
  model = tmp_path / "model"
  model.mkdir()
  (model / "saved_model.pb").write_bytes(os.urandom(4096))
  before = snapshot(tmp_path)
  proc = run_launcher("evaluate.py", f"--model_dir={model}", "--env_id=CartPole-v1")
  assert_one_error(proc, f"cannot load the SavedModel in {model}")
  assert snapshot(tmp_path) == before


def test_evaluate_rejects_truncated_variables(cartpole, tmp_path):
  model = tmp_path / "model"
  subprocess.run(["cp", "-r", str(cartpole[2]), str(model)], check=True)
  data = next((model / "variables").glob("variables.data-*"))
  data.write_bytes(data.read_bytes()[:16])
  proc = run_launcher("evaluate.py", f"--model_dir={model}")
  assert_one_error(proc, f"cannot load the SavedModel in {model}")


@pytest.mark.parametrize("env_id, message", [
    ("Acrobot-v1", "takes observations of shape (4,), but Acrobot-v1's are (6,) (it was exported for CartPole-v1)"),
    ("InvertedPendulum-v5", "shape (), 2 choices) do not fit InvertedPendulum-v5's action space Box"),
])
def test_evaluate_rejects_a_model_of_another_env(cartpole, tmp_path, env_id, message):
  before = snapshot(cartpole[1], tmp_path)
  proc = run_launcher("evaluate.py", f"--model_dir={cartpole[1]}", f"--env_id={env_id}",
                      f"--video_dir={tmp_path / 'videos'}")
  assert_one_error(proc, message)
  assert snapshot(cartpole[1], tmp_path) == before


def test_evaluate_rejects_unusable_video_dirs(cartpole, tmp_path):
  (tmp_path / "file").write_text("x")
  for video_dir, message in ((tmp_path / "file" / "videos", "is a file, not a directory"),
                             ("/proc/videos", "inside a system directory")):
    proc = run_launcher("evaluate.py", f"--model_dir={cartpole[1]}", f"--video_dir={video_dir}", without_tf=True)
    assert_one_error(proc, f"--video_dir {video_dir}")
    assert message in proc.stderr


def test_evaluate_without_pygame_says_what_to_install(cartpole, tmp_path):
  hidden = tmp_path / "hide" / "pygame"
  hidden.mkdir(parents=True)
  (hidden / "__init__.py").write_text("raise ImportError('pygame hidden by the test')\n")
  proc = run_launcher("evaluate.py", f"--model_dir={cartpole[1]}", f"--video_dir={tmp_path / 'videos'}",
                      without_tf=True, env_extra={"PYTHONPATH": str(tmp_path / "hide")})
  assert_one_error(proc, "--video_dir needs pygame to render CartPole-v1: install the project's video extra")
  assert not (tmp_path / "videos").exists()


# -- evaluate.py: what used to fail --------------------------------------------------------------------

@pytest.mark.skipif(not (importlib.util.find_spec("pygame") and importlib.util.find_spec("imageio_ffmpeg")),
                    reason="the video extra (pygame-ce, imageio-ffmpeg) is not installed")
def test_evaluate_records_classic_control_video(cartpole, tmp_path):
  proc = run_launcher("evaluate.py", f"--model_dir={cartpole[1]}", "--episodes=1", f"--video_dir={tmp_path / 'v'}")
  assert proc.returncode == 0 and proc.stderr == "", proc.stderr[-2000:]
  length = int(proc.stdout.split("length ")[1].split()[0].rstrip(","))
  import imageio.v3 as iio
  frames = iio.imread(tmp_path / "v" / "episode_0.mp4")
  assert frames.shape[0] == length + 1 and frames.shape[-1] == 3   # initial state + one per step
  assert frames.shape[1] % 16 == 0 and frames.shape[2] % 16 == 0   # padded, not rescaled, for the encoder
  assert os.listdir(tmp_path / "v") == ["episode_0.mp4"]


@pytest.mark.parametrize("stochastic", [False, True])
def test_evaluate_plays_a_tf_agents_export(tf_agents_run, stochastic):
  _, base = tf_agents_run
  flags = ["--stochastic"] if stochastic else []
  runs = [run_launcher("evaluate.py", f"--model_dir={base}", "--episodes=2", *flags) for _ in range(1 + stochastic)]
  for proc in runs:
    assert proc.returncode == 0, proc.stderr[-2000:]
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith(f"CartPole-v1, {base / '1'}: mean return ") and "over 2 episodes" in last, proc.stdout
  assert runs[0].stdout == runs[-1].stdout   # --stochastic is seeded: the same episodes both times


def test_evaluate_names_a_policy_saver_only_model(tf_agents_run):
  run_dir, _ = tf_agents_run
  for flags in ([], ["--env_id=CartPole-v1"]):
    proc = run_launcher("evaluate.py", f"--model_dir={run_dir / 'policy'}", *flags)
    assert_one_error(proc, "is a TF-Agents PolicySaver model without trpo_tf's signatures")


# -- export.py -------------------------------------------------------------------------------------------

def _broken_runs(tmp_path, run_dir):
  """Run directories that cannot be exported, each with the message it gets."""
  (tmp_path / "empty").mkdir()
  for name in ("bad_config", "no_checkpoint", "corrupt"):
    subprocess.run(["cp", "-r", str(run_dir), str(tmp_path / name)], check=True)
  (tmp_path / "bad_config" / "config.json").write_text("{not json")
  subprocess.run(["rm", "-r", str(tmp_path / "no_checkpoint" / "checkpoints")], check=True)
  data = next((tmp_path / "corrupt" / "checkpoints").glob("*.data-*"))
  data.write_bytes(data.read_bytes()[:16])
  return [(tmp_path / "nowhere", "does not exist", True),
          (tmp_path / "empty", "is not a run directory (no config.json)", True),
          (tmp_path / "bad_config", "config.json is not a valid config", True),
          (tmp_path / "no_checkpoint", "has no checkpoint yet", True),
          (tmp_path / "corrupt", "is missing or corrupt", False)]


def test_export_rejects_runs_without_a_usable_checkpoint(cartpole, tmp_path):
  cases = _broken_runs(tmp_path, cartpole[0])
  base = tmp_path / "models"
  before = snapshot(tmp_path)
  for run_dir, message, without_tf in cases:
    proc = run_launcher("export.py", f"--run_dir={run_dir}", f"--export_dir={base}", without_tf=without_tf)
    assert_one_error(proc, message)
  proc = run_launcher("export.py", f"--run_dir={cartpole[0]}", f"--checkpoint={tmp_path / 'ckpt-9'}",
                      f"--export_dir={base}", without_tf=True)
  assert_one_error(proc, f"checkpoint {tmp_path / 'ckpt-9'} is missing or corrupt (no ")
  assert snapshot(tmp_path) == before


def test_export_rejects_version_directories_as_export_dir(cartpole):
  run_dir, base, version = cartpole
  before = snapshot(base)
  for export_dir, message in ((version, f"is the SavedModel version {version}; pass its base directory {base}"),
                              (version / "variables", f"is inside the SavedModel version {version}"),
                              (base / "7", f"names a version of the TF Serving base {base} (which holds versions 1)")):
    proc = run_launcher("export.py", f"--run_dir={run_dir}", f"--export_dir={export_dir}", without_tf=True)
    assert_one_error(proc, message)
  assert snapshot(base) == before   # in particular no 1/1 and no 7/


def test_export_rejects_unwritable_places(cartpole, tmp_path):
  (tmp_path / "file").write_text("x")
  before = snapshot(tmp_path)
  for export_dir, message in ((tmp_path / "file" / "models", "is a file, not a directory"),
                              (tmp_path / "file", "is a file, not a directory"),
                              ("/proc/models", "inside a system directory")):
    proc = run_launcher("export.py", f"--run_dir={cartpole[0]}", f"--export_dir={export_dir}", without_tf=True)
    assert_one_error(proc, message)
  assert snapshot(tmp_path) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permission bits")
def test_export_rejects_a_read_only_parent(cartpole, tmp_path):
  locked = tmp_path / "locked"
  locked.mkdir(mode=0o555)
  try:
    proc = run_launcher("export.py", f"--run_dir={cartpole[0]}", f"--export_dir={locked / 'models'}",
                        without_tf=True)
    assert_one_error(proc, "is not writable")
    assert os.listdir(locked) == []
  finally:
    locked.chmod(0o755)
