"""Export a trained policy from a run's checkpoint as a SavedModel (TF Serving layout).

  python launchers/export.py --run_dir=runs/hopper [--checkpoint=PATH] [--export_dir=DIR]

Writes <export_dir>/<next integer version>/ atomically (default export_dir:
exported_models/<run name>/ in the repository) and prints its path. --export_dir
is the TF Serving base, never a version directory. Bad input (no run, no or a
corrupt checkpoint, an export_dir that is a version or cannot be written) is one
`error: ...` line and exit status 2, with nothing written.
"""

import os
import sys

if not __package__:   # run as a script (python launchers/X.py, bazel run): import as the launchers package
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
  __package__ = "launchers"

from . import preflight

preflight.enter_invocation_directory()

preflight.quiet_tensorflow()

from absl import flags, logging  # noqa: E402

from trpo_tf.config import ConfigError  # noqa: E402
from trpo_tf.serving_layout import versions  # noqa: E402

flags.DEFINE_string("run_dir", None, "run directory holding config.json and checkpoints/", required=True)
flags.DEFINE_string("checkpoint", None, "checkpoint prefix (default: the run's latest)")
flags.DEFINE_string("export_dir", None, "SavedModel base directory (default exported_models/<run name>)")
FLAGS = flags.FLAGS


def check_run(run_dir: str, checkpoint) -> None:
  """ConfigError unless run_dir is a run with a readable config and a checkpoint to export (TF-free)."""
  from trpo_tf.checkpoints import RunDirectory
  if not os.path.exists(run_dir):
    raise ConfigError(f"cannot export: --run_dir {run_dir} does not exist")
  if not os.path.exists(os.path.join(run_dir, "config.json")):
    raise ConfigError(f"cannot export: {run_dir} is not a run directory (no config.json)")
  run = RunDirectory(run_dir)
  try:
    run.load_config()
  except ConfigError as e:
    raise ConfigError(str(e).replace("cannot resume", "cannot export")) from None
  if checkpoint and not os.path.exists(checkpoint + ".index"):
    raise ConfigError(f"cannot export: checkpoint {checkpoint} is missing or corrupt (no {checkpoint}.index)")
  if not checkpoint and run.latest_checkpoint() is None:
    raise ConfigError(f"cannot export: {run_dir} has no checkpoint yet (nothing in {run.checkpoint_dir})")


def _holds_saved_model(path: str) -> bool:
  return os.path.isfile(os.path.join(path, "saved_model.pb"))


def check_export_base(base: str) -> None:
  """ConfigError unless `base` can be a TF Serving base: writable, and not a version (which would get 1/1)."""
  preflight.check_writable_dir(base, "--export_dir")
  path = base
  while True:   # base itself or a directory above it holding a SavedModel
    if _holds_saved_model(path):
      raise ConfigError(f"--export_dir {base} is {'' if path == base else 'inside '}the SavedModel version "
                        f"{path}; pass its base directory {os.path.dirname(path)} (versions are numbered there)")
    if os.path.dirname(path) == path:
      break
    path = os.path.dirname(path)
  parent, name = os.path.split(base)
  exported = [v for v in versions(parent) if _holds_saved_model(os.path.join(parent, str(v)))]
  if name.isdigit() and exported:
    raise ConfigError(f"--export_dir {base} names a version of the TF Serving base {parent} (which holds versions "
                      f"{', '.join(map(str, exported))}); pass {parent}: the next version is numbered there")


def main(argv):
  del argv   # the program name only: preflight.run_app rejects positional arguments
  logging.set_verbosity(logging.WARNING)
  run_dir = os.path.abspath(FLAGS.run_dir)
  base = os.path.abspath(FLAGS.export_dir or preflight.default_export_dir(run_dir))
  try:   # everything about the input, before TensorFlow loads
    check_run(run_dir, FLAGS.checkpoint)
    check_export_base(base)
  except ConfigError as e:
    return preflight.fail(e)
  preflight.load_tensorflow()
  from trpo_tf.export import ExportError, export_policy, restore_policy
  try:
    policy, obs_space, act_space, config, path = restore_policy(run_dir, FLAGS.checkpoint)
    version = export_policy(policy, obs_space, act_space, base,
                            {"env_id": config.sampler.env_id, "checkpoint": os.path.basename(path),
                             "run_name": os.path.basename(run_dir)})
  except ExportError as e:
    return preflight.fail(e)
  print(version)
  return 0


def run():
  """Console-script entry point (setup.py)."""
  preflight.run_app(main)


if __name__ == "__main__":
  run()
