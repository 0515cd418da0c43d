"""Launcher pre-flight, shared by train, train_tf_agents, export and evaluate.

Everything a launcher can check about its input is checked here before
TensorFlow loads: the run directory and its default name, the default export
base, the environment (and, for vine, its simulator save/restore). Errors are
ConfigError lines that the launchers print as `error: ...` with exit code 2.
"""

import os
import re
import sys
import time

from trpo_tf.config import ConfigError, ExperimentConfig

_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# A checkout (launchers/ beside setup.py) keeps its exports in the repository; an installed package
# (launchers/ installed as trpo_tf/launchers, console scripts) uses the current directory.
IN_CHECKOUT = os.path.exists(os.path.join(_PARENT, "setup.py"))


def enter_invocation_directory() -> None:
  """`bazel run` starts a binary inside its runfiles; relative paths the user gives (and the default
  runs/ and exported_models/) mean the directory bazel was invoked from."""
  where = os.environ.get("BUILD_WORKING_DIRECTORY")
  if where and os.path.isdir(where):
    os.chdir(where)


def command(launcher: str) -> str:
  """How the user runs `launcher` (e.g. "train"): with bazel run, from a checkout, or as an installed
  console script."""
  if os.environ.get("BUILD_WORKING_DIRECTORY"):
    return f"bazel run //launchers:{launcher} --"
  if IN_CHECKOUT:
    return f"python launchers/{launcher}.py"
  return f"trpo-{launcher.replace('_', '-')}"


def quiet_tensorflow() -> None:
  """Hide TensorFlow's C++ logging unless the user chose a level (see load_tensorflow)."""
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def load_tensorflow():
  """Imports TensorFlow and initialises its devices with the C++ start-up lines hidden.

  TF_CPP_MIN_LOG_LEVEL does not reach the lines absl prints before its logging
  is initialised ("Could not find cuda drivers", "failed call to cuInit" on
  CPU machines), so stderr's file descriptor is pointed at a temporary file for
  the import and device discovery; if that fails, what was written is replayed.
  A user who set TF_CPP_MIN_LOG_LEVEL (to anything but our default) sees everything.
  """
  if os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2") != "2" or "tensorflow" in sys.modules:
    import tensorflow as tf
    return tf
  import tempfile
  sys.stderr.flush()
  saved = os.dup(2)
  with tempfile.TemporaryFile() as captured:
    os.dup2(captured.fileno(), 2)
    try:
      import tensorflow as tf
      tf.config.list_physical_devices()
    except BaseException:
      os.dup2(saved, 2)
      captured.seek(0)
      sys.stderr.write(captured.read().decode(errors="replace"))
      raise
    finally:
      os.dup2(saved, 2)
      os.close(saved)
  return tf


def default_run_dir(config: ExperimentConfig, prefix: str = "") -> str:
  """runs/<prefix><env>-s<seed>-<time> under the current directory."""
  env = config.sampler.env_id.replace("/", "_")
  return os.path.join("runs", f"{prefix}{env}-s{config.run.seed}-{time.strftime('%Y%m%d-%H%M%S')}")


def default_export_dir(run_dir: str) -> str:
  """exported_models/<name of the resolved run directory> in the repository (so --run_dir=. works),
  or under the current directory when trpo_tf runs from an installed package or `bazel run`."""
  base = _PARENT if IN_CHECKOUT else os.getcwd()
  return os.path.join(base, "exported_models", os.path.basename(os.path.abspath(run_dir)))


_SYSTEM_TREES = ("/proc", "/sys", "/dev")


def check_writable_dir(path: str, what: str) -> None:
  """ConfigError unless `path` is, or can be created as, a directory we can write into.

  Checked without creating anything: the nearest existing ancestor must be a
  writable directory (not a file), outside the kernel's /proc, /sys and /dev
  (/dev/shm, a RAM disk, is fine).
  """
  full = os.path.abspath(path)
  inside = lambda tree: full == tree or full.startswith(tree + os.sep)
  if any(inside(t) for t in _SYSTEM_TREES) and not inside("/dev/shm"):
    raise ConfigError(f"{what} {full} is inside a system directory ({full.split(os.sep)[1]}); choose another")
  probe = full
  while not os.path.exists(probe):
    parent = os.path.dirname(probe)
    if parent == probe:
      break
    probe = parent
  if not os.path.isdir(probe):
    raise ConfigError(f"{what} {full} cannot be created: {probe} is a file, not a directory")
  if not os.access(probe, os.W_OK | os.X_OK):
    raise ConfigError(f"{what} {full} is not writable (no write permission on {probe})")


def check_environment(config: ExperimentConfig) -> None:
  """The env exists and has supported spaces (EnvPool has it, if chosen), --obs_dims fits its observation;
  vine needs simulator save/restore."""
  from trpo_tf.config import obs_dims_mask
  from trpo_tf.sampling.envs import make_env, make_training_env
  sc = config.sampler
  env = make_env(sc.env_id)
  try:
    obs_dims_mask(config.network.obs_dims, env.observation_space.shape)
  finally:
    env.close()
  if sc.env_backend == "envpool":
    from trpo_tf.sampling.envpool_env import envpool_task
    envpool_task(sc.env_id)
  if sc.sampler_backend == "ray":   # before TensorFlow loads: Ray missing or unreachable is one line
    from trpo_tf.sampling.ray_cluster import check_capacity, connect
    check_capacity(connect(sc.ray_address), sc.num_workers)
  if sc.sampler == "vine":
    from trpo_tf.sampling.simulator_state import check_restorable
    env = make_training_env(sc.env_id, sc.terminal_on_life_loss, sc.fire_reset)
    try:
      check_restorable(env, sc.env_id)
    finally:
      env.close()


def print_config(config: ExperimentConfig) -> int:
  print(config.to_json())
  return 0


def fail(error: Exception) -> int:
  print(f"error: {error}", file=sys.stderr)
  return 2


def run_app(main) -> None:
  """absl's app.run(main), except that a flag absl cannot parse (an unknown name, a value of the wrong type)
  or a positional argument is one `error:` line and exit code 2, like every other bad input (absl prints a
  FATAL line and a help hint, or the whole usage text, and exits 1). `main` gets argv without arguments."""
  from absl import app, flags

  def parse(argv):
    try:
      argv = flags.FLAGS(argv)
    except flags.Error as error:
      required = re.search(r"Flag --(\w+) must have a value other than None", str(error))
      sys.exit(fail(ConfigError(f"--{required.group(1)} is required") if required else error))
    if len(argv) > 1:
      sys.exit(fail(ConfigError(f"unexpected arguments: {' '.join(argv[1:])} (flags are --name=value)")))
    return argv

  app.run(main, flags_parser=parse)


def reject_flags(given: dict, unsupported, why: str) -> None:
  """ConfigError naming every flag in `given` that this launcher would otherwise ignore."""
  bad = sorted(set(given) & set(unsupported))
  if bad:
    raise ConfigError(f"{', '.join('--' + b for b in bad)} not supported by this launcher ({why})")
