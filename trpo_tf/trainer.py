"""The native training loop: sample → learner.step → log / checkpoint / export.

One iteration with N envs × T steps:
  1. the sampler collects a [T, N] Batch with the current policy (sampling/);
  2. the learner runs GAE, one compiled TRPO step, the normaliser update and
     starts the value fit in a background thread: sampling never reads V, so the
     fit overlaps the next iteration's sampling on the second core (learner.py);
  3. the loop logs, checkpoints and exports.
What is built for a config is the builder's business (builder.py).
"""

import os
import time
from typing import Callable, NamedTuple, Optional

import keras
import numpy as np
import tensorflow as tf

from trpo_tf.builder import build_components
from trpo_tf.checkpoints import FINISHED_FILE, RunDirectory, package_versions
from trpo_tf.config import EVAL_SEED_OFFSET, ExperimentConfig
from trpo_tf.evaluation import EvalResult, evaluate_policy
from trpo_tf.export import export_policy
from trpo_tf.progress import ProgressReporter
from trpo_tf.runtime import configure_tensorflow
from trpo_tf.trpo_step import linear_schedule


class TrainResult(NamedTuple):
  env_steps: int
  iterations: int
  wall_seconds: float
  sample_seconds: float
  update_seconds: float             # GAE + TRPO step + waiting for the overlapped value fit
  evaluation: Optional[EvalResult]
  value_wait_seconds: float = 0.0   # time spent waiting for the overlapped value fit
  status: str = "finished"          # finished | interrupted (checkpointed, not finished) | already_finished


class Trainer:
  """Builds everything from an ExperimentConfig and a run directory; `train()` runs the loop.

  A resumed run continues from its newest checkpoint that restores
  (`resumed_from`; None: it had none and starts at iteration 0); the config it
  resumes with (e.g. a larger total_steps) replaces the saved config.json.
  """

  def __init__(self, config: ExperimentConfig, run_dir: str, resume: bool = False,
               show_progress: bool = True):
    self.run = RunDirectory(run_dir)
    if resume:
      config = self.run.check_resumable(config)
      self.run.remove_stale_temporaries()
    else:
      self.run.check_fresh()
    self.config = config
    configure_tensorflow(config.run.intra_op_threads, config.run.inter_op_threads,
                         config.run.deterministic_ops)
    keras.utils.set_random_seed(config.run.seed)
    self.sampler, self.policy, self.value_net, self.learner, self.actor = build_components(config)
    self.env_steps = tf.Variable(0, dtype=tf.int64, trainable=False, name="env_steps")
    self.iteration = tf.Variable(0, dtype=tf.int64, trainable=False, name="iteration")
    checkpoint = tf.train.Checkpoint(
        policy=self.policy, value=self.value_net, value_optimizer=self.learner.value_optimizer,
        env_steps=self.env_steps, iteration=self.iteration, **self.sampler.checkpointables())
    self.resumed_from = None
    if resume:
      self.resumed_from = self.run.restore_newest(checkpoint)
      self.run.rebuild_checkpoint_index(self.resumed_from)
    self.manager = self.run.checkpoint_manager(checkpoint, config.run.keep_checkpoints)
    self.run.write_config(config)
    self.run.record_versions(package_versions())
    self.show_progress = show_progress
    self.exports = []
    self._exported_iteration = None

  # -- public ---------------------------------------------------------------

  def train(self, should_stop: Callable[[], bool] = lambda: False) -> TrainResult:
    """Runs until config.run.total_steps transitions, then exports and evaluates deterministically.

    `should_stop` is asked after every iteration (a safe point): when it says
    yes the run is checkpointed and train() returns with status "interrupted".
    A run that is already complete returns at once ("already_finished"), and
    one that was killed between its last checkpoint and its final export and
    evaluation only does those.
    """
    cfg = self.config
    finished = self.run.read_json(FINISHED_FILE)
    if finished and finished.get("env_steps") == self._steps() >= cfg.run.total_steps:
      return TrainResult(self._steps(), self._iterations(), 0.0, 0.0, 0.0, None, status="already_finished")
    self.sampler.reset(self._reset_seed())
    timers = {"sample": 0.0, "update": 0.0}
    waited_before = self.learner.value_wait_seconds
    recent = []
    started = time.perf_counter()
    progress = ProgressReporter(self.run, cfg.run.total_steps, self._steps(), self.show_progress,
                                self._iterations())
    interrupted = False
    try:
      while self._steps() < cfg.run.total_steps and not interrupted:
        t0 = time.perf_counter()
        self.actor.sync()
        steps_per_env = self._steps_per_env()
        batch = self.sampler.collect(self.actor, steps_per_env)
        t1 = time.perf_counter()
        info = self.learner.step(batch, self._iterations(), progress=self._progress())
        t2 = time.perf_counter()
        timers["sample"] += t1 - t0
        timers["update"] += t2 - t1
        self.env_steps.assign_add(batch.num_transitions)
        self.iteration.assign_add(1)
        recent = (recent + list(batch.episode_returns))[-20:]
        metrics = self.learner.metrics(info)
        metrics.update({
            "episode/return": _mean(batch.episode_returns), "episode/length": _mean(batch.episode_lengths),
            "episode/return_recent20": _mean(recent),
            "time/sample_seconds": t1 - t0, "time/update_seconds": t2 - t1,
        })
        if cfg.sampler.batch_scheduled:
          metrics["sampler/steps_per_env"] = steps_per_env
        metrics.update(batch.sampler_metrics or {})
        progress.report(self._steps(), self._iterations(), metrics)
        if self._iterations() % cfg.run.checkpoint_every == 0:
          self._checkpoint()
        if cfg.run.export_dir and cfg.run.export_every and self._iterations() % cfg.run.export_every == 0:
          self.export()
        interrupted = should_stop()
      if self.manager.latest_checkpoint is None or \
          not self.manager.latest_checkpoint.endswith(f"-{self._iterations()}"):
        self._checkpoint()
    finally:
      self.learner.wait()
      progress.close()
    wall = time.perf_counter() - started
    waited = self.learner.value_wait_seconds - waited_before
    if interrupted:
      return TrainResult(self._steps(), self._iterations(), wall, timers["sample"], timers["update"], None,
                         waited, status="interrupted")
    evaluation = self._finish()
    return TrainResult(self._steps(), self._iterations(), wall, timers["sample"], timers["update"],
                       evaluation, waited)

  def evaluate(self, episodes: int) -> EvalResult:
    return evaluate_policy(self.policy, self.config.sampler.env_id, episodes,
                           seed=self.config.run.seed + EVAL_SEED_OFFSET)

  def export(self) -> str:
    """Writes the current policy as the next SavedModel version under config.run.export_dir."""
    metadata = {"env_id": self.config.sampler.env_id, "env_steps": self._steps(),
                "iteration": self._iterations(), "run_name": os.path.basename(self.run.path)}
    path = export_policy(self.policy, self.sampler.observation_space, self.sampler.action_space,
                         self.config.run.export_dir, metadata)
    self.exports.append(path)
    self._exported_iteration = self._iterations()
    return path

  def close(self) -> None:
    self.learner.close()
    self.sampler.close()

  # -- private --------------------------------------------------------------

  def _steps(self) -> int:
    return int(self.env_steps.numpy())

  def _iterations(self) -> int:
    return int(self.iteration.numpy())

  def _progress(self) -> float:
    """The fraction of training done before the batch being learned from: what schedules δ, γ, λ and the batch
    (TRPOConfig.max_kl_final_fraction, gamma_final, gae_lambda_final; SamplerConfig.steps_per_env_final). A resumed
    run with a larger total_steps stretches the schedule."""
    return self._steps() / self.config.run.total_steps

  def _steps_per_env(self) -> int:
    """Vector steps of the next batch: steps_per_env, or under SamplerConfig.steps_per_env_final its linear
    schedule in training progress, rounded to a whole step."""
    sc = self.config.sampler
    if not sc.batch_scheduled:
      return sc.steps_per_env
    return int(round(float(linear_schedule(sc.steps_per_env, sc.steps_per_env_final, self._progress(), tf.float64))))

  def _reset_seed(self) -> int:
    """The run's seed on a fresh start; a resumed run gets a new, reproducible one."""
    seed, start = self.config.run.seed, self._iterations()
    return seed if start == 0 else int(np.random.SeedSequence([seed, start]).generate_state(1)[0] % (2 ** 31))

  def _finish(self) -> Optional[EvalResult]:
    """The final export and evaluation; finished.json records that they were done."""
    cfg = self.config
    if cfg.run.export_dir and self._exported_iteration != self._iterations():   # export_every may have done it
      self.export()
    evaluation = None
    if cfg.run.eval_episodes > 0:
      evaluation = self.evaluate(cfg.run.eval_episodes)
      self.run.write_evaluation(evaluation, self._steps())
    self.run.write_json(FINISHED_FILE, {"env_steps": self._steps(), "iteration": self._iterations(),
                                        "export": os.path.basename(self.exports[-1]) if self.exports else None})
    return evaluation

  def _checkpoint(self) -> None:
    self.learner.wait()   # the value net and its optimizer must be the fitted ones
    self.manager.save(checkpoint_number=self._iterations())


def _mean(values) -> Optional[float]:
  return float(np.mean(values)) if values else None
