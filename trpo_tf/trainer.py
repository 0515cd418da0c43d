"""The training loop: sample → GAE → TRPO step → normaliser → value fit.

One iteration with N envs × T steps:
  1. sample a [T, N] batch with the current policy (one compiled call per vector step);
  2. wait for the previous iteration's value fit, predict V on the batch, GAE;
  3. one compiled TRPO step; fold the batch into the observation normaliser;
  4. start the value fit on this batch in a background thread: sampling never
     reads V, so the fit overlaps the next iteration's sampling on the second core.
"""

import concurrent.futures
import functools
import time
from typing import NamedTuple, Optional

import keras
import numpy as np
import tensorflow as tf

from trpo_tf.advantages import gae
from trpo_tf.checkpoints import RunDirectory
from trpo_tf.config import ExperimentConfig
from trpo_tf.evaluation import EvalResult, evaluate_policy
from trpo_tf.export import export_policy
from trpo_tf.networks import build_networks
from trpo_tf.normalization import RewardScaler
from trpo_tf.progress import ProgressReporter
from trpo_tf.runtime import configure_tensorflow
from trpo_tf.sampling.actors import make_actor
from trpo_tf.sampling.envs import make_training_env, make_vector_env, observation_dtype
from trpo_tf.sampling.single_path import Batch, SinglePathSampler
from trpo_tf.sampling.vine import VineBatch, VineSampler
from trpo_tf.trpo_step import TRPOUpdater
from trpo_tf.value_fit import ValueFitter


class TrainResult(NamedTuple):
  env_steps: int
  iterations: int
  wall_seconds: float
  sample_seconds: float
  update_seconds: float             # GAE + TRPO step + waiting for the overlapped value fit
  evaluation: Optional[EvalResult]
  value_wait_seconds: float = 0.0   # the part of update_seconds spent waiting for the value fit


def explained_variance(predictions: np.ndarray, targets: np.ndarray) -> float:
  var = np.var(targets)
  return float("nan") if var == 0 else float(1.0 - np.var(targets - predictions) / var)


class Trainer:
  """Builds everything from an ExperimentConfig and a run directory; `train()` runs the loop."""

  def __init__(self, config: ExperimentConfig, run_dir: str, resume: bool = False,
               show_progress: bool = True):
    self.run = RunDirectory(run_dir)
    if resume:
      config = self.run.check_resumable(config)
    else:
      self.run.check_fresh()
    self.config = config
    seed = config.run.seed
    configure_tensorflow(config.run.intra_op_threads, config.run.inter_op_threads,
                         config.run.deterministic_ops)
    keras.utils.set_random_seed(seed)

    sc = config.sampler
    self.env = make_vector_env(sc.env_id, sc.num_envs, sc.vector_mode, sc.terminal_on_life_loss, sc.fire_reset)
    obs_space = self.env.single_observation_space
    obs_dtype = tf.as_dtype(observation_dtype(obs_space))
    self.policy, self.value_net = build_networks(obs_space, self.env.single_action_space, config.network)
    self.updater = TRPOUpdater(self.policy, config.trpo, seed)
    tc = config.trpo
    self.fitter = ValueFitter(self.value_net, tc.value_learning_rate, tc.value_epochs,
                              tc.value_minibatch, seed)
    self.reward_scaler = RewardScaler(sc.num_envs, tc.gamma, sc.reward_clip, sc.normalize_rewards)
    if sc.sampler == "vine":
      make_branch_env = functools.partial(make_training_env, sc.env_id, sc.terminal_on_life_loss, sc.fire_reset)
      self.sampler = VineSampler(self.env, self.reward_scaler, make_branch_env, sc, tc.gamma, seed)
    else:
      self.sampler = SinglePathSampler(self.env, self.reward_scaler)
    self.env_steps = tf.Variable(0, dtype=tf.int64, trainable=False, name="env_steps")
    self.iteration = tf.Variable(0, dtype=tf.int64, trainable=False, name="iteration")
    self.vector_steps = tf.Variable(0, dtype=tf.int64, trainable=False, name="vector_steps")
    checkpoint = tf.train.Checkpoint(
        policy=self.policy, value=self.value_net, value_optimizer=self.fitter.optimizer,
        reward_scaler=self.reward_scaler, env_steps=self.env_steps, iteration=self.iteration,
        vector_steps=self.vector_steps)
    self.manager = self.run.checkpoint_manager(checkpoint, config.run.keep_checkpoints)
    if resume:
      checkpoint.restore(self.manager.latest_checkpoint).assert_existing_objects_matched()
    else:
      self.run.write_config(config)
    self.sampler.vector_steps = int(self.vector_steps.numpy())
    self.show_progress = show_progress
    self.exports = []

    self.actor = make_actor(self.policy, sc.act_backend, (sc.num_envs,) + obs_space.shape, seed, obs_dtype)
    self._values = tf.function(self.value_net).get_concrete_function(
        tf.TensorSpec((None,) + obs_space.shape, obs_dtype))
    self._seed = seed

  # -- public ---------------------------------------------------------------

  def train(self) -> TrainResult:
    """Runs until config.run.total_steps transitions, then evaluates deterministically."""
    cfg = self.config
    total = cfg.run.total_steps
    start_iteration = int(self.iteration.numpy())
    reset_seed = self._seed if start_iteration == 0 else int(
        np.random.SeedSequence([self._seed, start_iteration]).generate_state(1)[0] % (2 ** 31))
    self.sampler.reset(reset_seed)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="value_fit")
    pending = None
    timers = {"sample": 0.0, "update": 0.0, "value_wait": 0.0}
    recent = []
    started = time.perf_counter()
    progress = ProgressReporter(self.run, total, int(self.env_steps.numpy()), self.show_progress)
    try:
      while int(self.env_steps.numpy()) < total:
        t0 = time.perf_counter()
        self.actor.sync()
        batch = self.sampler.collect(self.actor, cfg.sampler.steps_per_env)
        t1 = time.perf_counter()
        vf_info = pending.result() if pending is not None else None
        timers["value_wait"] += time.perf_counter() - t1
        iteration = int(self.iteration.numpy())
        metrics, fit_args = self._update(batch, iteration)
        pending = pool.submit(self.fitter.fit, *fit_args, iteration)
        t2 = time.perf_counter()
        timers["sample"] += t1 - t0
        timers["update"] += t2 - t1
        self.env_steps.assign_add(batch.num_transitions)
        self.iteration.assign_add(1)
        self.vector_steps.assign(self.sampler.vector_steps)
        trunk = batch.trunk if isinstance(batch, VineBatch) else batch
        recent = (recent + trunk.episode_returns)[-20:]
        if vf_info is not None:
          metrics["value/loss_before_fit"] = float(vf_info.loss_before)
          metrics["value/loss_after_fit"] = float(vf_info.loss_after)
        metrics.update({
            "episode/return": float(np.mean(trunk.episode_returns)) if trunk.episode_returns else None,
            "episode/length": float(np.mean(trunk.episode_lengths)) if trunk.episode_lengths else None,
            "episode/return_recent20": float(np.mean(recent)) if recent else None,
            "time/sample_seconds": t1 - t0, "time/update_seconds": t2 - t1,
        })
        progress.report(int(self.env_steps.numpy()), int(self.iteration.numpy()), metrics)
        if int(self.iteration.numpy()) % cfg.run.checkpoint_every == 0:
          pending.result()
          self.manager.save(checkpoint_number=int(self.iteration.numpy()))
        if cfg.run.export_dir and cfg.run.export_every and \
            int(self.iteration.numpy()) % cfg.run.export_every == 0:
          self.export()
      if pending is not None:
        pending.result()
      if self.manager.latest_checkpoint is None or \
          not self.manager.latest_checkpoint.endswith(f"-{int(self.iteration.numpy())}"):
        self.manager.save(checkpoint_number=int(self.iteration.numpy()))
    finally:
      pool.shutdown(wait=True)
      progress.close()
    wall = time.perf_counter() - started
    if cfg.run.export_dir:
      self.export()
    evaluation = None
    if cfg.run.eval_episodes > 0:
      evaluation = self.evaluate(cfg.run.eval_episodes)
      self.run.write_json("eval.json", {"mean_return": evaluation.mean_return,
                                        "std_return": evaluation.std_return,
                                        "returns": evaluation.returns, "lengths": evaluation.lengths,
                                        "env_steps": int(self.env_steps.numpy())})
    return TrainResult(int(self.env_steps.numpy()), int(self.iteration.numpy()), wall,
                       timers["sample"], timers["update"], evaluation, timers["value_wait"])

  def evaluate(self, episodes: int) -> EvalResult:
    return evaluate_policy(self.policy, self.config.sampler.env_id, episodes,
                           seed=self._seed + 1_000_000)

  def export(self) -> str:
    """Writes the current policy as the next SavedModel version under config.run.export_dir."""
    metadata = {"env_id": self.config.sampler.env_id, "env_steps": int(self.env_steps.numpy()),
                "iteration": int(self.iteration.numpy()), "run_dir": self.run.path}
    path = export_policy(self.policy, self.env.single_observation_space, self.env.single_action_space,
                         self.config.run.export_dir, metadata)
    self.exports.append(path)
    return path

  def close(self) -> None:
    if isinstance(self.sampler, VineSampler):
      self.sampler.close()
    self.env.close()

  # -- private --------------------------------------------------------------

  def _update(self, batch, iteration: int):
    """GAE + TRPO step + normaliser update; returns (metrics, value-fit arguments)."""
    trunk = batch.trunk if isinstance(batch, VineBatch) else batch
    obs, actions, advantages, returns, explained = self._trunk_targets(trunk)
    if isinstance(batch, VineBatch):
      info, vine_metrics = self._vine_step(batch, iteration)
    else:
      info, vine_metrics = self.updater.update(obs, actions, advantages, iteration), {}
    self.policy.normalizer.update(obs)
    metrics = {f"trpo/{k}": float(v) for k, v in info._asdict().items()}
    metrics["trpo/accepted"] = float(int(info.status) == 0)
    metrics["value/explained_variance"] = explained
    metrics.update(vine_metrics)
    if hasattr(self.policy, "log_std"):
      metrics["policy/log_std_mean"] = float(np.mean(np.asarray(self.policy.log_std)))
    return metrics, (obs, returns.astype(np.float32))

  def _trunk_targets(self, batch: Batch):
    """GAE on a single-path batch: valid (obs, actions, advantages, returns) and V's explained variance."""
    cfg = self.config.trpo
    T, N = batch.valid.shape
    obs_all = np.concatenate([batch.obs.reshape((T * N,) + batch.obs.shape[2:]), batch.last_obs])
    values_all = self._values(tf.constant(obs_all)).numpy().astype(np.float64)
    values, last_values = values_all[:T * N].reshape(T, N), values_all[T * N:]
    result = gae(batch.rewards, values, last_values, batch.terminated, batch.truncated,
                 batch.valid, cfg.gamma, cfg.gae_lambda)
    mask = batch.valid.reshape(-1)
    obs = batch.obs.reshape((T * N,) + batch.obs.shape[2:])[mask]
    actions = batch.actions.reshape((T * N,) + batch.actions.shape[2:])[mask]
    advantages = result.advantages.reshape(-1)[mask]
    returns = result.returns.reshape(-1)[mask]
    return obs, actions, advantages, returns, explained_variance(values.reshape(-1)[mask], returns)

  def _vine_step(self, batch: VineBatch, iteration: int):
    """Q̂ from the branches (bootstrapped with V where cut, if configured), then the vine TRPO step."""
    k, n = batch.partial_q.shape
    bootstrap = np.zeros((k, n))
    if self.config.sampler.vine_bootstrap and n:
      flat_obs = batch.bootstrap_obs.reshape((k * n,) + batch.bootstrap_obs.shape[2:])
      bootstrap = self._values(tf.constant(flat_obs)).numpy().astype(np.float64).reshape(k, n)
    q = batch.q_values(bootstrap)
    info = self.updater.update_vine(batch.states, batch.actions, q.astype(np.float32), iteration)
    spread = float(np.mean(np.std(q, axis=0))) if n else float("nan")
    return info, {"vine/states": float(n), "vine/branch_steps": float(batch.branch_steps),
                  "vine/q_spread_within_state": spread}
