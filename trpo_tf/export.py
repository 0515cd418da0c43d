"""SavedModel export of a policy, in TF Serving layout.

<base>/<version>/{saved_model.pb, variables/, assets/trpo_tf_policy.json}. A
version is written into a hidden temporary directory beside it and renamed
into place, so a polling model server never sees half a model, and an
existing version is never overwritten.

Signatures (all outputs batch-major, inputs checked in the graph because TF
Serving does not validate shapes):
  serving_default  observations → actions          (deterministic: mean / argmax)
  sample           observations, seed → actions    (stochastic, one int64 seed per row)
  distribution     observations → mean, log_std    (Gaussian, log_std per row: broadcast, or the
                                                    state-dependent σ of --state_dependent_std)
                   observations → logits, probabilities  (categorical)
Observation normalisation and action clipping are inside the model, as trained.
Discrete actions are int64, continuous ones float32.
"""

import json
import os
import shutil
import tempfile
from typing import Optional

import gymnasium as gym
import numpy as np
import tensorflow as tf

from trpo_tf.fisher import raw_variable
from trpo_tf.serving_layout import next_version, remove_stale_temporaries, temp_prefix

METADATA_FILE = "trpo_tf_policy.json"
# Discrete actions are served as int64, the dtype of gymnasium's Discrete spaces, of TF-Agents'
# gym wrapper specs for them (spec_from_gym_space's default) and of tf.argmax: a gRPC client gets
# an int64 tensor it can pass to env.step unchanged. REST clients see the same JSON numbers.
DISCRETE_ACTION_DTYPE = tf.int64


class ExportError(RuntimeError):
  """Export failed; the message is one line and nothing was left in the export base."""


class PolicyServingModule(tf.Module):
  """The exported object: a policy plus its serving signatures."""

  def __init__(self, policy, observation_space: gym.spaces.Box, action_space: gym.Space, metadata_path: str):
    super().__init__(name="trpo_policy")
    self.policy = policy
    # Keras 3 trap: the TF1 session loader (TF Serving's path) only finds variables the
    # module tracks as tf.Variables, so track the raw variables behind the Keras ones.
    self._raw_variables = [raw_variable(v) for v in policy.variables]
    self.metadata = tf.saved_model.Asset(metadata_path)
    self._obs_shape = tuple(observation_space.shape)
    # Images stay uint8 end to end; any float observation space is served as float32.
    self._obs_dtype = tf.uint8 if observation_space.dtype == np.uint8 else tf.float32
    self._discrete = isinstance(action_space, gym.spaces.Discrete)
    if not self._discrete:
      self._low = tf.constant(action_space.low, tf.float32)
      self._high = tf.constant(action_space.high, tf.float32)
    obs_spec = tf.TensorSpec((None,) + self._obs_shape, self._obs_dtype, name="observations")
    self.serving_default = tf.function(self._deterministic, input_signature=[obs_spec])
    # Unknown rank: TF Serving's row format sends one seed per row ([batch]); a scalar is kept
    # for older callers (columnar bodies, launchers/evaluate.py) and applies to every row.
    self.sample = tf.function(self._sample, input_signature=[
        obs_spec, tf.TensorSpec(None, tf.int64, name="seed")])
    self.distribution = tf.function(self._distribution, input_signature=[obs_spec])

  def signatures(self):
    return {"serving_default": self.serving_default, "sample": self.sample,
            "distribution": self.distribution}

  def _check(self, observations):
    """TF Serving feeds tensors without checking the signature's shape: check it here
    (InvalidArgument: "Shape of tensor observations [...] is not compatible with expected shape [?,...]")."""
    observations = tf.ensure_shape(observations, (None,) + self._obs_shape, name="observations")
    return tf.cast(observations, tf.float32)

  def _finish(self, actions):
    """Served actions: discrete ones as int64, continuous ones clipped to the action bounds."""
    if self._discrete:
      return tf.cast(actions, DISCRETE_ACTION_DTYPE)
    return tf.clip_by_value(actions, self._low, self._high)

  def _deterministic(self, observations):
    return {"actions": self._finish(self.policy.mode(self._check(observations)))}

  def _sample(self, observations, seed):
    """Row i is drawn with its own seed: the action `policy.sample` gives for observation i alone
    with the stateless seed split_seed(seed[i]), whatever else is in the batch."""
    observations = self._check(observations)
    pairs = split_seed(row_seeds(seed, tf.shape(observations)[0]))
    params = self.policy.dist_params(observations)
    head = self.policy.head

    def draw(row):   # stateless ops take one seed per call, so rows are drawn one at a time
      row_params, pair = row
      return self._finish(head.distribution(tuple(p[None] for p in row_params)).sample(seed=pair)[0])

    dtype = DISCRETE_ACTION_DTYPE if self._discrete else tf.float32
    return {"actions": tf.map_fn(draw, (params, pairs), fn_output_signature=dtype)}

  def _distribution(self, observations):
    params = self.policy.dist_params(self._check(observations))
    if self._discrete:
      return {"logits": params[0], "probabilities": tf.nn.softmax(params[0])}
    return {"mean": params[0], "log_std": params[1]}


def row_seeds(seed, batch):
  """The per-row int64 seeds [batch]: `seed` itself if it holds one per row, a scalar repeated.

  Any other shape fails with InvalidArgument (TF Serving checks no shapes itself).
  """
  rank, size = tf.rank(seed), tf.size(seed)
  ok = tf.logical_or(tf.equal(rank, 0), tf.logical_and(tf.equal(rank, 1), tf.equal(size, batch)))
  check = tf.debugging.Assert(ok, ["seed must be a scalar or one int64 per observation row: shape",
                                   tf.shape(seed), "for a batch of", batch])
  with tf.control_dependencies([check]):
    return tf.broadcast_to(tf.reshape(seed, [-1]), [batch])


def split_seed(seeds):
  """int64 seeds [n] → stateless seeds [n, 2] int32: (low 32 bits, high 32 bits).

  A bijection, so every int64 is its own seed: s and s + 2³¹ differ, and negative seeds are
  valid (two's complement). 0 ≤ s < 2³¹ gives (s, 0), the stateless seed with which earlier
  exports (scalar seed only) drew the whole batch.
  """
  def word(bits):
    return tf.bitcast(tf.cast(tf.bitwise.bitwise_and(bits, 0xFFFFFFFF), tf.uint32), tf.int32)
  return tf.stack([word(seeds), word(tf.bitwise.right_shift(seeds, 32))], axis=-1)


def write_version(base_dir: str, metadata: dict, write) -> str:
  """Creates the next version under base_dir atomically; returns its path.

  `write(model_dir, metadata_path)` writes the SavedModel into model_dir (a
  hidden temporary directory); metadata_path is a JSON file of `metadata` to
  attach as the asset trpo_tf_policy.json. On any failure nothing is left behind.
  """
  os.makedirs(base_dir, exist_ok=True)
  remove_stale_temporaries(base_dir)   # what killed exporters left behind
  tmp = tempfile.mkdtemp(prefix=temp_prefix(), dir=base_dir)
  try:
    os.makedirs(os.path.join(tmp, "meta"))
    meta_path = os.path.join(tmp, "meta", METADATA_FILE)   # copied to <version>/assets/
    with open(meta_path, "w") as f:
      json.dump(metadata, f, indent=2)
    model_dir = os.path.join(tmp, "model")
    write(model_dir, meta_path)
    while True:
      version_dir = os.path.join(base_dir, str(next_version(base_dir)))
      try:
        os.rename(model_dir, version_dir)   # atomic; fails if a concurrent export took the number
        return version_dir
      except OSError:
        if not os.path.exists(version_dir):
          raise
  except Exception as e:
    raise ExportError(f"export to {base_dir} failed: {e}") from e
  finally:
    shutil.rmtree(tmp, ignore_errors=True)


def export_policy(policy, observation_space, action_space, base_dir: str, metadata: dict) -> str:
  """Writes the policy as the next TF Serving version under base_dir; returns its path."""
  def write(model_dir, meta_path):
    module = PolicyServingModule(policy, observation_space, action_space, meta_path)
    tf.saved_model.save(module, model_dir, signatures=module.signatures())
  return write_version(base_dir, metadata, write)


def restore_policy(run_dir: str, checkpoint: Optional[str] = None):
  """Rebuilds a run's policy from config.json and restores it from a checkpoint.

  Returns (policy, observation_space, action_space, config, checkpoint_path).
  Raises ExportError (one line) for a missing run, checkpoint or corrupt data.
  """
  from trpo_tf.checkpoints import RunDirectory
  from trpo_tf.config import ConfigError, first_line
  from trpo_tf.networks import build_networks
  from trpo_tf.sampling.envs import make_env
  run = RunDirectory(run_dir)
  try:
    config = run.load_config()
    env = make_env(config.sampler.env_id)
  except ConfigError as e:
    raise ExportError(str(e).replace("cannot resume", "cannot export")) from None
  obs_space, act_space = env.observation_space, env.action_space
  env.close()
  policy, _ = build_networks(obs_space, act_space, config.network)
  if checkpoint is None:   # the newest that restores, as a resume would take
    try:
      path = run.restore_newest(tf.train.Checkpoint(policy=policy), partial=True)
    except ConfigError as e:
      raise ExportError(str(e).replace("cannot resume", "cannot export")) from None
    if path is None:
      raise ExportError(f"cannot export: no checkpoint in {run.checkpoint_dir}")
    return policy, obs_space, act_space, config, path
  path = checkpoint
  try:
    tf.train.Checkpoint(policy=policy).restore(path).expect_partial().assert_existing_objects_matched()
  except (tf.errors.OpError, AssertionError, ValueError, IndexError, KeyError) as e:  # truncated files raise IndexError
    raise ExportError(f"cannot export: checkpoint {path} is missing or corrupt ({first_line(e)})") from None
  return policy, obs_space, act_space, config, path
