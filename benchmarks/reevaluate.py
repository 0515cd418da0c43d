"""Replays finished runs' final deterministic evaluation on the installed stack and rewrites eval.json.

  python benchmarks/reevaluate.py benchmarks/runs/ant-b256-1000k-s{0..9} [--dry_run]

For when a package that changes a run's numbers moved after the run finished, the simulator above
all: every final evaluation plays gymnasium's env, and gymnasium's Ant-v5 steps differently on
MuJoCo 4.0 than on the pinned 3.17 (benchmarks/results/envpool_physics_parity.md). Per run: the
policy of its final checkpoint (ckpt-N, N = finished.json's iteration), config.json's env and
eval_episodes, episode i reset with seed + EVAL_SEED_OFFSET + i: the trainer's own final evaluation.
The previous eval.json is kept as eval.<n>.json (n = 1, 2, ...); the new one also records the
versions it was made under (trpo_tf.checkpoints.package_versions). One line per run, old → new.
--dry_run writes nothing.
"""

import argparse
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from trpo_tf.checkpoints import EVAL_FILE, FINISHED_FILE, RunDirectory, package_versions
from trpo_tf.config import EVAL_SEED_OFFSET


def final_checkpoint(run: RunDirectory) -> str:
  """The checkpoint of the run's last iteration; SystemExit (one line) if the run did not finish or lost it."""
  finished, evaluation = run.read_json(FINISHED_FILE), run.read_json(EVAL_FILE)
  if not isinstance(finished, dict) or not isinstance(evaluation, dict):
    raise SystemExit(f"error: {run.path} is not a finished run with a final evaluation (no {FINISHED_FILE} and "
                     "eval.json)")
  prefix = os.path.join(run.checkpoint_dir, f"ckpt-{finished['iteration']}")
  if not os.path.exists(prefix + ".index"):
    raise SystemExit(f"error: {run.path} has no checkpoint of its last iteration ({prefix}.index)")
  return prefix


def kept_name(run: RunDirectory) -> str:
  """eval.<n>.json with the first n not taken."""
  n = 1
  while os.path.exists(os.path.join(run.path, f"eval.{n}.json")):
    n += 1
  return f"eval.{n}.json"


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("runs", nargs="+", metavar="RUN_DIR")
  parser.add_argument("--dry_run", action="store_true", help="print old → new, write nothing")
  args = parser.parse_args()
  runs = [RunDirectory(path) for path in args.runs]
  checkpoints = [final_checkpoint(run) for run in runs]   # every run checked before the first is replayed
  from trpo_tf.evaluation import evaluate_policy
  from trpo_tf.export import ExportError, restore_policy
  versions = package_versions()
  print(f"evaluating on gymnasium {versions['gymnasium']}, MuJoCo {versions['mujoco']}", flush=True)
  for run, checkpoint in zip(runs, checkpoints):
    try:
      policy, _, _, config, _ = restore_policy(run.path, checkpoint)
    except ExportError as e:   # a damaged checkpoint: the runs before this one are done, this one is untouched
      raise SystemExit(f"error: {e}".replace("cannot export", "cannot re-evaluate")) from None
    result = evaluate_policy(policy, config.sampler.env_id, config.run.eval_episodes,
                             seed=config.run.seed + EVAL_SEED_OFFSET)
    old = run.read_json(EVAL_FILE)
    line = f"{os.path.basename(run.path)}: {old['mean_return']:,.1f} → {result.mean_return:,.1f}"
    if not args.dry_run:
      kept = kept_name(run)
      shutil.copy2(os.path.join(run.path, EVAL_FILE), os.path.join(run.path, kept))   # then replaced atomically
      run.write_evaluation(result, old.get("env_steps"), reevaluated=versions)
      line += f" (the earlier one kept as {kept})"
    print(line, flush=True)


if __name__ == "__main__":
  main()
