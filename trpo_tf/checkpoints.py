"""The run directory: config.json, checkpoints/, tb/, progress.csv, eval.json.

A new run refuses a directory that already holds one (nothing is touched); a
resumed run needs a checkpoint and an unchanged env/network. JSON files are
written to a temporary file and renamed, so a kill never leaves half a file;
tf.train.CheckpointManager updates its index only after a checkpoint is
complete, so a kill mid-save falls back to the previous checkpoint.
"""

import json
import os

from trpo_tf.config import ConfigError, ExperimentConfig

CONFIG_FILE = "config.json"


class RunDirectory:

  def __init__(self, path: str):
    self.path = os.path.abspath(path)
    self.checkpoint_dir = os.path.join(self.path, "checkpoints")
    self.tensorboard_dir = os.path.join(self.path, "tb")

  def latest_checkpoint(self):
    if not os.path.exists(os.path.join(self.checkpoint_dir, "checkpoint")):
      return None  # no index yet: checked without importing TensorFlow
    import tensorflow as tf
    return tf.train.latest_checkpoint(self.checkpoint_dir)

  def has_run(self) -> bool:
    return os.path.exists(os.path.join(self.path, CONFIG_FILE)) or self.latest_checkpoint() is not None

  def check_fresh(self) -> None:
    if self.has_run():
      raise ConfigError(f"run directory {self.path} already holds a run; pass --resume to continue "
                        "it or choose another --run_dir")

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
    """Validates a resume of this run with `config`; records the (possibly extended) config."""
    saved = self.load_config()
    if self.latest_checkpoint() is None:
      raise ConfigError(f"cannot resume: no checkpoint in {self.checkpoint_dir}")
    for section in ("network", "sampler"):
      if getattr(saved, section) != getattr(config, section):
        raise ConfigError(f"cannot resume: the {section} settings differ from the saved run "
                          f"({os.path.join(self.path, CONFIG_FILE)})")
    if saved.run.seed != config.run.seed:
      raise ConfigError(f"cannot resume: seed {config.run.seed} differs from the run's seed {saved.run.seed}")
    return config

  def write_config(self, config: ExperimentConfig) -> None:
    self.write_json(CONFIG_FILE, config.to_dict())

  def write_json(self, name: str, data) -> None:
    os.makedirs(self.path, exist_ok=True)
    path = os.path.join(self.path, name)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
      json.dump(data, f, indent=2)
    os.replace(tmp, path)

  def checkpoint_manager(self, checkpoint, keep: int):
    import tensorflow as tf
    return tf.train.CheckpointManager(checkpoint, self.checkpoint_dir, max_to_keep=keep)
