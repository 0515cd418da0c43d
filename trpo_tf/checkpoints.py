"""The run directory: config.json, versions.json, checkpoints/, tb/, progress.csv, eval.json, finished.json.

A new run refuses a directory that already holds one (nothing is touched); a
resumed run needs config.json and an unchanged env/network, and continues from
its newest checkpoint that restores (or from iteration 0 when it died before
its first). JSON files are written to a temporary file and renamed, so a kill
never leaves half a file. Checkpoints are found from their files, not from
TensorFlow's `checkpoint` index, which a kill or a disk error can damage: the
index is rebuilt after a resume.
"""

import importlib.metadata
import json
import os
import platform
import re
import shutil
import sys
from typing import Callable, Dict, List, Optional

from trpo_tf.config import ConfigError, ExperimentConfig

CONFIG_FILE = "config.json"
FINISHED_FILE = "finished.json"   # written once the final export and evaluation are done
EVAL_FILE = "eval.json"           # the final deterministic evaluation
VERSIONS_FILE = "versions.json"
# The packages whose versions change a run's numbers. The simulator's above all: gymnasium's Ant-v5 steps
# differently on MuJoCo 4.0 than on 3.6-3.17 (tests/test_envpool.py::test_one_step_dynamics_are_gymnasiums).
TRACKED_PACKAGES = ("tensorflow", "tensorflow-probability", "tf-keras", "numpy", "gymnasium", "mujoco", "envpool",
                    "ale-py")
_CHECKPOINT = re.compile(r"^ckpt-(\d+)\.index$")
_CHECKPOINT_TEMP = re.compile(r"^ckpt-\d+_temp$")   # TensorFlow's in-progress sharded save


def _warn(message: str) -> None:
  print(f"warning: {message}", file=sys.stderr, flush=True)


def package_versions() -> Dict[str, Optional[str]]:
  """Python's and TRACKED_PACKAGES' versions (None: not installed), read from package metadata (no imports)."""
  versions = {"python": platform.python_version()}
  for name in TRACKED_PACKAGES:
    try:
      versions[name] = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
      versions[name] = None
  return versions


class RunDirectory:

  def __init__(self, path: str):
    self.path = os.path.abspath(path)
    self.checkpoint_dir = os.path.join(self.path, "checkpoints")
    self.tensorboard_dir = os.path.join(self.path, "tb")

  # -- checkpoints ----------------------------------------------------------

  def checkpoint_candidates(self) -> List[str]:
    """Checkpoint prefixes on disk (ckpt-N with an index file), newest first."""
    if not os.path.isdir(self.checkpoint_dir):
      return []
    numbers = [int(m.group(1)) for m in map(_CHECKPOINT.match, os.listdir(self.checkpoint_dir)) if m]
    return [os.path.join(self.checkpoint_dir, f"ckpt-{n}") for n in sorted(numbers, reverse=True)]

  def latest_checkpoint(self) -> Optional[str]:
    """The newest checkpoint prefix on disk (not necessarily intact: see restore_newest)."""
    candidates = self.checkpoint_candidates()
    return candidates[0] if candidates else None

  def restore_newest(self, checkpoint, warn: Callable[[str], None] = _warn, partial: bool = False) -> Optional[str]:
    """Restores `checkpoint` (a tf.train.Checkpoint) from the newest intact checkpoint.

    Damaged ones (truncated data or index files, missing shards) are skipped,
    with one warning line each once an older one has restored. Returns the
    prefix restored, None if there is no checkpoint; ConfigError (one line,
    with each checkpoint's reason) if there are some and none restores. `partial`:
    `checkpoint` tracks only part of what was saved (e.g. the policy alone).
    """
    candidates, skipped = self.checkpoint_candidates(), []
    for prefix in candidates:
      try:
        status = checkpoint.restore(prefix)
        if partial:
          status.expect_partial()
        status.assert_existing_objects_matched()
      except Exception as e:   # corrupt files surface as IndexError, OpError, ValueError, ...
        skipped.append((os.path.basename(prefix), (str(e).strip().splitlines() or [type(e).__name__])[0]))
        continue
      for name, reason in skipped:
        warn(f"skipping checkpoint {name}: it does not restore ({reason})")
      return prefix
    if candidates:
      reasons = "; ".join(f"{name}: {reason}" for name, reason in skipped)
      raise ConfigError(f"cannot resume: none of the {len(candidates)} checkpoints in {self.checkpoint_dir} "
                        f"restores, each is missing or corrupt ({reasons})")
    return None

  def rebuild_checkpoint_index(self, restored: Optional[str]) -> None:
    """Points TensorFlow's `checkpoint` index at `restored` and the older checkpoints."""
    if restored is None:
      return
    kept = [p for p in reversed(self.checkpoint_candidates())
            if int(p.rsplit("-", 1)[1]) <= int(restored.rsplit("-", 1)[1])]
    # The CheckpointState text proto; the timestamps let CheckpointManager delete the old ones in turn.
    lines = [f'model_checkpoint_path: "{os.path.basename(restored)}"']
    lines += [f'all_model_checkpoint_paths: "{os.path.basename(p)}"' for p in kept]
    lines += [f"all_model_checkpoint_timestamps: {os.path.getmtime(p + '.index')}" for p in kept]
    index = os.path.join(self.checkpoint_dir, "checkpoint")
    with open(index + ".tmp", "w") as f:
      f.write("\n".join(lines) + "\n")
    os.replace(index + ".tmp", index)

  def checkpoint_manager(self, checkpoint, keep: int):
    import tensorflow as tf
    return tf.train.CheckpointManager(checkpoint, self.checkpoint_dir, max_to_keep=keep)

  def remove_stale_temporaries(self) -> List[str]:
    """Deletes what killed processes of this run left half-written: ckpt-N_temp/, *.json.tmp."""
    removed = []
    if os.path.isdir(self.checkpoint_dir):
      for name in os.listdir(self.checkpoint_dir):
        if _CHECKPOINT_TEMP.match(name):
          shutil.rmtree(os.path.join(self.checkpoint_dir, name), ignore_errors=True)
          removed.append(os.path.join(self.checkpoint_dir, name))
    if os.path.isdir(self.path):
      for name in os.listdir(self.path):
        if name.endswith(".json.tmp"):
          os.remove(os.path.join(self.path, name))
          removed.append(os.path.join(self.path, name))
    return removed

  # -- the run's identity ---------------------------------------------------

  def has_run(self) -> bool:
    return os.path.exists(os.path.join(self.path, CONFIG_FILE)) or bool(self.checkpoint_candidates())

  def check_fresh(self) -> None:
    if self.has_run():
      raise ConfigError(f"run directory {self.path} already holds a run; pass --resume to continue it (a run "
                        "that stopped before its first checkpoint starts over) or choose another --run_dir")

  def load_config(self) -> ExperimentConfig:
    path = os.path.join(self.path, CONFIG_FILE)
    if not os.path.exists(path):
      raise ConfigError(f"cannot resume: {path} does not exist")
    try:
      with open(path) as f:
        return ExperimentConfig.from_dict(json.load(f))
    except (ValueError, TypeError) as e:
      raise ConfigError(f"cannot resume: {path} is not a valid config ({e})") from None

  def check_resumable(self, config: ExperimentConfig) -> ExperimentConfig:
    """Validates a resume of this run with `config` (env, network and seed must not change)."""
    saved = self.load_config()
    for section in ("network", "sampler"):
      old, new = getattr(saved, section).__dict__, getattr(config, section).__dict__
      changed = [k for k in old if old[k] != new[k]]
      if changed:
        k = changed[0]
        raise ConfigError(f"cannot resume: {k} is {new[k]!r} but the run was trained with {old[k]!r} "
                          f"({os.path.join(self.path, CONFIG_FILE)}); {section} settings cannot change")
    if saved.run.seed != config.run.seed:
      raise ConfigError(f"cannot resume: seed {config.run.seed} differs from the run's seed {saved.run.seed}")
    return config

  # -- files ----------------------------------------------------------------

  def write_config(self, config: ExperimentConfig) -> None:
    self.write_json(CONFIG_FILE, config.to_dict())

  def record_versions(self, versions: Dict[str, Optional[str]], warn: Callable[[str], None] = _warn) -> None:
    """Writes versions.json: the versions this run trains with. A resume under other versions warns once per
    package that changed and keeps the earlier sets, oldest first, under "earlier" (the run's numbers then
    come from more than one stack)."""
    saved = self.read_json(VERSIONS_FILE)
    if not isinstance(saved, dict) or not isinstance(saved.get("current"), dict):
      self.write_json(VERSIONS_FILE, {"current": versions, "earlier": []})
      return
    old = saved["current"]
    changed = sorted(k for k in set(old) | set(versions) if old.get(k) != versions.get(k))
    if not changed:
      return
    for name in changed:
      warn(f"resuming with {name} {versions.get(name) or 'not installed'}; this run trained with "
           f"{old.get(name) or 'it not installed'} so far ({os.path.join(self.path, VERSIONS_FILE)})")
    self.write_json(VERSIONS_FILE, {"current": versions, "earlier": list(saved.get("earlier") or []) + [old]})

  def write_evaluation(self, evaluation, env_steps: int, **extra) -> None:
    """eval.json: the final evaluation (an evaluation.EvalResult: mean and std of the returns, each episode's
    return and length), the env steps the policy trained for, and `extra` fields (reevaluate.py's versions)."""
    self.write_json(EVAL_FILE, {**evaluation._asdict(), "env_steps": env_steps, **extra})

  def write_json(self, name: str, data) -> None:
    os.makedirs(self.path, exist_ok=True)
    path = os.path.join(self.path, name)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
      json.dump(data, f, indent=2)
      f.flush()
      os.fsync(f.fileno())
    os.replace(tmp, path)

  def read_json(self, name: str):
    """The JSON file `name` of the run, or None if it is missing or unreadable."""
    try:
      with open(os.path.join(self.path, name)) as f:
        return json.load(f)
    except (OSError, ValueError):
      return None
