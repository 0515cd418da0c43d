"""Export a trained policy from a run's checkpoint as a SavedModel (TF Serving layout).

  python launchers/export.py --run_dir=runs/hopper [--checkpoint=PATH] [--export_dir=DIR]

Writes <export_dir>/<next integer version>/ atomically (default export_dir:
exported_models/<run name>/ in the repository) and prints its path.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from launchers import preflight

preflight.quiet_tensorflow()

from absl import app, flags, logging  # noqa: E402

flags.DEFINE_string("run_dir", None, "run directory holding config.json and checkpoints/", required=True)
flags.DEFINE_string("checkpoint", None, "checkpoint prefix (default: the run's latest)")
flags.DEFINE_string("export_dir", None, "SavedModel base directory (default exported_models/<run name>)")
FLAGS = flags.FLAGS


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
  logging.set_verbosity(logging.WARNING)
  run_dir = os.path.abspath(FLAGS.run_dir)
  if not os.path.exists(os.path.join(run_dir, "config.json")):
    print(f"error: cannot export: {run_dir} is not a run directory (no config.json)", file=sys.stderr)
    return 2
  preflight.load_tensorflow()
  from trpo_tf.export import ExportError, export_policy, restore_policy
  base = FLAGS.export_dir or preflight.default_export_dir(run_dir)
  try:
    policy, obs_space, act_space, config, path = restore_policy(run_dir, FLAGS.checkpoint)
    version = export_policy(policy, obs_space, act_space, base,
                            {"env_id": config.sampler.env_id, "checkpoint": os.path.basename(path),
                             "run_name": os.path.basename(run_dir)})
  except ExportError as e:
    print(f"error: {e}", file=sys.stderr)
    return 2
  print(version)
  return 0


if __name__ == "__main__":
  app.run(main)
