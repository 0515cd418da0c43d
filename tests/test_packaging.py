"""The package as a new user installs it: a wheel built from the sources, installed with only its core
requirements (no MuJoCo, ALE, EnvPool) into a fresh virtualenv, trained on CartPole through the
`trpo-train` console script, and the missing families reported as one `error:` line naming the extra.

Versions come from constraints.txt, so pip takes them from its cache when `make test` installed
them already (no download then; minutes otherwise)."""

import json
import os
import pwd
import shutil
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))   # the source tree (see test_build_files.py)


def _pip_env():
  # Bazel points HOME at a fresh temporary directory: keep pip's real cache so nothing is downloaded twice.
  home = pwd.getpwuid(os.getuid()).pw_dir
  env = dict(os.environ, PIP_CACHE_DIR=os.environ.get("PIP_CACHE_DIR", os.path.join(home, ".cache", "pip")),
             PIP_DISABLE_PIP_VERSION_CHECK="1", TF_CPP_MIN_LOG_LEVEL="2")
  env.pop("PYTHONPATH", None)   # Bazel's points at the sources, which would shadow the installed package
  return env


def _run(cmd, cwd, timeout=900):
  return subprocess.run([str(c) for c in cmd], cwd=cwd, env=_pip_env(), capture_output=True, text=True,
                        timeout=timeout)


@pytest.fixture(scope="module")
def core_install(tmp_path_factory):
  """(venv bin dir, wheel path) of a fresh virtualenv with the trpo_tf wheel and its core requirements."""
  tmp = tmp_path_factory.mktemp("packaging")
  source = tmp / "source"   # build from a copy: the checkout (or Bazel's runfiles) stays untouched
  source.mkdir()
  for name in ("setup.py", "README.md"):
    shutil.copy(os.path.join(ROOT, name), source)
  for name in ("trpo_tf", "launchers"):
    shutil.copytree(os.path.join(ROOT, name), source / name, ignore=shutil.ignore_patterns("__pycache__", "BUILD"))
  proc = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", tmp / "dist",
               source], tmp)
  assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
  wheel = next((tmp / "dist").glob("trpo_tf-*.whl"))
  proc = _run([sys.executable, "-m", "venv", tmp / "venv"], tmp)
  assert proc.returncode == 0, proc.stderr
  bin_dir = tmp / "venv" / "bin"
  proc = _run([bin_dir / "python", "-m", "pip", "install", "--quiet", "-c", os.path.join(ROOT, "constraints.txt"),
               wheel], tmp)
  assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
  return bin_dir, wheel


def test_wheel_holds_the_library_and_launchers_only(core_install):
  _, wheel = core_install
  names = zipfile.ZipFile(wheel).namelist()
  assert "trpo_tf/launchers/train.py" in names and "trpo_tf/trpo_step.py" in names
  assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "launchers/"))]
  entry_points = next(n for n in names if n.endswith("entry_points.txt"))
  text = zipfile.ZipFile(wheel).read(entry_points).decode()
  assert "trpo-train = trpo_tf.launchers.train:run" in text


def test_core_install_has_no_optional_families(core_install):
  bin_dir, _ = core_install
  proc = _run([bin_dir / "python", "-c", "import importlib.util as u; "
               "print([m for m in ('mujoco', 'ale_py', 'envpool', 'cv2', 'ray') if u.find_spec(m)])"], "/")
  assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stdout + proc.stderr


def test_console_script_trains_cartpole_and_evaluates_the_export(core_install, tmp_path):
  bin_dir, _ = core_install
  proc = _run([bin_dir / "trpo-train", "--preset=cartpole", "--total_steps=2048", "--eval_episodes=2",
               "--run_dir=run", "--progress=false"], tmp_path)
  assert proc.returncode == 0, proc.stderr[-3000:]
  with open(tmp_path / "run" / "eval.json") as f:
    assert json.load(f)["env_steps"] >= 2048
  # Installed, the default export base is ./exported_models/<run name> (not inside site-packages).
  assert os.listdir(tmp_path / "exported_models" / "run") == ["1"]
  proc = _run([bin_dir / "trpo-evaluate", f"--model_dir={tmp_path / 'exported_models' / 'run'}", "--episodes=1"],
              tmp_path)
  assert proc.returncode == 0, proc.stderr[-3000:]
  assert "CartPole-v1" in proc.stdout


@pytest.mark.parametrize("preset, extra, what", [
    ("hopper", "mujoco", "Hopper-v5 needs MuJoCo"),
    ("breakout", "atari", "ALE/Breakout-v5 needs the Arcade Learning Environment"),
])
def test_missing_family_is_one_error_line_naming_its_extra(core_install, tmp_path, preset, extra, what):
  bin_dir, _ = core_install
  proc = _run([bin_dir / "trpo-train", f"--preset={preset}", "--run_dir=run"], tmp_path)
  assert proc.returncode == 2
  lines = proc.stderr.strip().splitlines()
  assert len(lines) == 1 and lines[0].startswith(f"error: {what}") and f"pip install 'trpo_tf[{extra}]'" in lines[0], \
      proc.stderr
  assert not os.path.exists(tmp_path / "run")


@pytest.mark.parametrize("flag, extra", [("--env_backend=envpool", "envpool"), ("--sampler_backend=ray", "ray")])
def test_optional_backends_without_their_package_are_one_error_line(core_install, tmp_path, flag, extra):
  bin_dir, _ = core_install
  proc = _run([bin_dir / "trpo-train", "--preset=cartpole", flag, "--run_dir=run"], tmp_path)
  assert proc.returncode == 2
  lines = proc.stderr.strip().splitlines()
  assert len(lines) == 1 and f"pip install 'trpo_tf[{extra}]'" in lines[0], proc.stderr
  assert not os.path.exists(tmp_path / "run")
