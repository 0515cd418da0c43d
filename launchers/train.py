"""Train a TRPO policy.

  python launchers/train.py --preset=hopper --total_steps=1000000 --seed=0
  python launchers/train.py --run_dir=runs/my_run --resume     # continue a killed run
  python launchers/train.py --preset=hopper --max_kl=0.02 --print_config   # show the config, don't train

Every hyperparameter of trpo_tf.config is a flag of the same name (see --helpfull);
flags given explicitly override the preset. Writes config.json, checkpoints/,
tb/ (TensorBoard), progress.csv and eval.json under --run_dir.
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

from .flags_util import config_overrides, define_config_flags  # noqa: E402
from .interrupts import GracefulStop  # noqa: E402
from trpo_tf.config import ConfigError  # noqa: E402
from trpo_tf.presets import PRESETS  # noqa: E402

flags.DEFINE_string("preset", None, f"one of {sorted(PRESETS)}; default hopper, or with --env_id that env's own "
                    "preset if it has one, else the settings the MuJoCo or Atari presets share (plain defaults "
                    "for other envs)")
flags.DEFINE_string("run_dir", None, "run directory (default: runs/<env>-s<seed>-<time>)")
flags.DEFINE_bool("resume", False, "continue the run in --run_dir from its last checkpoint")
flags.DEFINE_bool("progress", True, "show a progress bar")
flags.DEFINE_bool("export", True, "export the final policy as a SavedModel (to --export_dir, default "
                  "exported_models/<run name>/ in the repository)")
define_config_flags()
FLAGS = flags.FLAGS


def build_config():
  """The run's config, and where its settings came from (a preset, a resumed run, shared settings)."""
  from trpo_tf.checkpoints import RunDirectory
  from trpo_tf import presets
  overrides = config_overrides()
  if FLAGS.resume:
    if not FLAGS.run_dir:
      raise ConfigError("--resume needs --run_dir")
    return RunDirectory(FLAGS.run_dir).load_config().override(**overrides), "the resumed run's config"
  config, origin = presets.resolve(FLAGS.preset, overrides.get("env_id"), default="hopper")
  return config.override(**overrides), origin


def choose_export_dir(config, run_dir):
  """--export/--noexport given: they decide; on a resume without them the run keeps its own choice."""
  if FLAGS.resume and not FLAGS["export"].present:
    return config
  if not FLAGS.export:
    return config.override(export_dir="")
  if not config.run.export_dir:
    return config.override(export_dir=preflight.default_export_dir(run_dir))
  return config


def report_resume_changes(saved, config) -> None:
  """Says which settings a resume changes (they are recorded in the run's config.json)."""
  old, new = saved.to_dict(), config.to_dict()
  changes = [f"{k} {old[s][k]!r} → {new[s][k]!r}" for s in old for k in old[s] if old[s][k] != new[s][k]]
  if changes:
    print(f"resume changes {', '.join(changes)} (recorded in config.json)", flush=True)


def main(argv):
  del argv   # the program name only: preflight.run_app rejects positional arguments
  logging.set_verbosity(logging.WARNING)  # TF's checkpoint saver logs at INFO on every save
  with GracefulStop() as stop:   # from here on, Ctrl-C / SIGTERM stop at the next safe point
    return train(stop)


def trust_region_line(trpo, action_space) -> str:
  """What a per-action-dimension trust region comes to for this env's actions."""
  from trpo_tf.networks import action_dims
  dims = action_dims(action_space)
  max_kl, damping = trpo.trust_region(dims)
  return (f"trust region: δ = {max_kl:g}, damping {damping:g} per update ({trpo.max_kl:g} and {trpo.cg_damping:g} "
          f"per action dimension × {dims})")


def train(stop: GracefulStop) -> int:
  try:
    config, origin = build_config()
    if FLAGS.print_config:
      return preflight.print_config(config)
    run_dir = FLAGS.run_dir or preflight.default_run_dir(config)
    config = choose_export_dir(config, run_dir)
    # Everything that can be wrong with the input is checked before TensorFlow loads.
    from trpo_tf.checkpoints import RunDirectory
    preflight.check_writable_dir(run_dir, "--run_dir")
    if config.run.export_dir:
      preflight.check_writable_dir(config.run.export_dir, "--export_dir")
    preflight.check_environment(config)
    run = RunDirectory(run_dir)
    if FLAGS.resume:
      run.check_resumable(config)
      report_resume_changes(run.load_config(), config)
    else:
      run.check_fresh()
    preflight.load_tensorflow()
    from trpo_tf.trainer import Trainer
    trainer = Trainer(config, run_dir, resume=FLAGS.resume, show_progress=FLAGS.progress)
  except ConfigError as e:
    return preflight.fail(e)
  print(f"settings: {origin}\nrun directory: {trainer.run.path}", flush=True)
  if config.trpo.kl_per_action_dim:
    print(trust_region_line(config.trpo, trainer.sampler.action_space), flush=True)
  if config.trpo.kl_scheduled:
    total, hold = config.run.total_steps, config.trpo.max_kl_hold_fraction
    held = (f"stays at its initial value for the first {round(hold * total)} of the {total} env steps, then moves "
            "linearly over the rest") if hold else f"moves linearly over the {total} env steps"
    print(f"δ {held} to {config.trpo.max_kl_final_fraction:g}× its initial value", flush=True)
  if config.trpo.lambda_scheduled:
    print(f"GAE λ moves linearly over the {config.run.total_steps} env steps from {config.trpo.gae_lambda:g} to "
          f"{config.trpo.gae_lambda_final:g}", flush=True)
  if config.sampler.batch_scheduled:
    sc = config.sampler
    change = "growing" if sc.steps_per_env_final > sc.steps_per_env else "shrinking"
    print(f"steps per env move linearly over the {config.run.total_steps} env steps from {sc.steps_per_env} to "
          f"{sc.steps_per_env_final} (a batch of {sc.batch_size} {change} to {sc.final_batch_size})",
          flush=True)
  if FLAGS.resume:
    print(f"resuming from {os.path.basename(trainer.resumed_from)} ({trainer.env_steps.numpy()} env steps)"
          if trainer.resumed_from else "the run has no checkpoint yet: starting it from iteration 0 with its "
          "saved config", flush=True)
  try:
    result = trainer.train(should_stop=stop)
  finally:
    trainer.close()
  if result.status == "already_finished":
    print(f"nothing to do: the run already finished at {result.env_steps} env steps (total_steps); no new export "
          f"or evaluation ({os.path.join(trainer.run.path, 'finished.json')}). Pass a larger --total_steps "
          "to train on.")
    return 0
  if result.status == "interrupted":
    print(f"interrupted at {result.env_steps} env steps (iteration {result.iterations}); checkpoint saved in "
          f"{trainer.run.checkpoint_dir}\ncontinue with: {preflight.command('train')} --run_dir={trainer.run.path} "
          "--resume", file=sys.stderr, flush=True)
    return stop.exit_code
  print(f"trained {result.env_steps} env steps in {result.iterations} iterations, "
        f"{result.wall_seconds:.0f} s ({result.sample_seconds:.0f} s sampling, "
        f"{result.update_seconds:.0f} s updates)", flush=True)
  if trainer.exports:
    print(f"exported SavedModel: {trainer.exports[-1]}")
  if result.evaluation is not None:
    ev = result.evaluation
    print(f"deterministic evaluation over {len(ev.returns)} episodes: "
          f"return {ev.mean_return:.1f} ± {ev.std_return:.1f}")
  print(f"run directory: {trainer.run.path}\n"
        f"TensorBoard:   tensorboard --logdir {trainer.run.tensorboard_dir}")
  return 0


def run():
  """Console-script entry point (setup.py)."""
  preflight.run_app(main)


if __name__ == "__main__":
  run()
