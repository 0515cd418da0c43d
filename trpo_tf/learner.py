"""The TRPO learner: `step(batch)` turns one sampled Batch into updated networks.

  advantages over the valid rows (GAE with the current V)
  → the policy step: single path, or vine when the batch carries a rollout set
  → observation-normaliser update
  → value fit on the GAE returns (with value_history > 1, also on the batches before).

Every piece is TensorFlow, so the same step serves the native loop (trainer.py,
numpy batches, eager glue around compiled pieces) and TF-Agents' TRPOAgent
(tensors, possibly inside `common.function`). With `overlap_value_fit` the fit
runs in a background thread and overlaps the loop's next sampling (which never
reads V); the next `step` waits for it first.
"""

import collections
import concurrent.futures
import time
from typing import Dict, NamedTuple, Optional

import tensorflow as tf

from trpo_tf.advantages import gae
from trpo_tf.config import TRPOConfig
from trpo_tf.fisher import mean_kl
from trpo_tf.sampling.batch import Batch, VineData
from trpo_tf.trpo_step import STATUS_ACCEPTED, TRPOInfo, TRPOUpdater, linear_schedule
from trpo_tf.value_fit import ValueFitInfo, ValueFitter


class Targets(NamedTuple):
  """The valid rows of a batch, flattened in time-major order, with their GAE targets."""
  obs: tf.Tensor
  actions: tf.Tensor
  advantages: tf.Tensor           # float32, not yet normalised (the TRPO step does that)
  returns: tf.Tensor              # float32 value-fit targets
  explained_variance: tf.Tensor   # of V on the returns, before the fit (nan if returns are constant)


class VineInfo(NamedTuple):
  states: tf.Tensor
  branch_steps: int
  q_spread_within_state: tf.Tensor


class StepInfo(NamedTuple):
  trpo: TRPOInfo
  value_fit: Optional[ValueFitInfo]   # overlapped: the previous step's fit (None on the first)
  explained_variance: tf.Tensor
  vine: Optional[VineInfo] = None
  # KL(π before ‖ π after) of the observation-normaliser update that follows the TRPO step, on the
  # batch: the policy change the trust region does not see (None without a normaliser).
  normalizer_kl: Optional[tf.Tensor] = None


class TRPOLearner:
  """Owns the TRPO updater and the value fitter for a (policy, value) pair.

  `policy` exposes dist_params / head / trainable_variables (trpo_tf.networks.Policy
  or an adapter, see tf_agents/networks.py) and optionally an ObservationNormalizer
  as `normalizer`; `value_net` maps observations to V(s) and has trainable_variables.
  """

  def __init__(self, policy, value_net, config: TRPOConfig, seed: int = 0, vine_bootstrap: bool = True,
               overlap_value_fit: bool = False):
    self.policy, self.value_net, self.config = policy, value_net, config
    self.updater = TRPOUpdater(policy, config, seed)
    self.fitter = ValueFitter(value_net, config.value_learning_rate, config.value_epochs,
                              config.value_minibatch, seed)
    self._vine_bootstrap = vine_bootstrap
    self._history = collections.deque(maxlen=config.value_history - 1)   # earlier batches' (obs, returns)
    self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="value_fit") \
        if overlap_value_fit else None
    self._pending = None    # the overlapped fit in flight
    self._finished = None   # its info once finished, until the next step reports it
    self._values = tf.function(value_net, reduce_retracing=True)
    # GAE λ and γ under config.gae_lambda_final / gamma_final (set_progress); the compiled targets read them
    # at each call.
    self._gae_lambda = tf.Variable(config.gae_lambda, trainable=False, dtype=tf.float64, name="gae_lambda")
    self._gamma = tf.Variable(config.gamma, trainable=False, dtype=tf.float64, name="gamma")
    self._targets = tf.function(self._targets_impl, reduce_retracing=True)
    normalizer = getattr(policy, "normalizer", None)   # TF-Agents networks have none; images pass through
    self._update_normalizer = None if normalizer is None or not normalizer.enabled else \
        tf.function(self._update_normalizer_impl, reduce_retracing=True)
    self.value_wait_seconds = 0.0   # time step() and wait() spent waiting for an overlapped fit

  @property
  def value_optimizer(self):
    """The value fit's Adam: checkpoint it with the networks."""
    return self.fitter.optimizer

  def step(self, batch: Batch, iteration, progress=None) -> StepInfo:
    """One TRPO iteration on `batch`; `iteration` seeds the Fisher subsample and the fit's shuffles.

    `progress` (the fraction of training done before this batch) sets δ, γ and GAE λ when the config
    schedules them (max_kl_final_fraction ≠ 1, gamma_final, gae_lambda_final), and is required then.
    """
    if self.config.needs_progress:
      if progress is None:
        raise ValueError("max_kl_final_fraction ≠ 1, gamma_final or gae_lambda_final schedules δ, γ or λ over "
                         "training: step() needs the training progress")
      self.set_progress(progress)
    self.wait()
    fit_info, self._finished = self._finished, None
    targets = self.targets(batch)
    # The fit reads the value net and the shared normaliser. With no normaliser update to wait for, an
    # overlapped fit starts now, beside the policy step (same result, the idle core used); not with vine,
    # whose branches read the value net.
    fit_now = self._pool is not None and self._update_normalizer is None and batch.vine is None
    if fit_now:
      self._start_fit(targets, iteration)
    vine_info = None
    if batch.vine is not None:
      trpo_info, vine_info = self._vine_step(batch.vine, iteration)
    else:
      trpo_info = self.updater.update(targets.obs, targets.actions, targets.advantages, iteration)
    normalizer_kl = None if self._update_normalizer is None else self._update_normalizer(targets.obs)
    if self._pool is None:
      fit_info = self.fitter.fit(*self._fit_data(targets), iteration)
    elif not fit_now:
      self._start_fit(targets, iteration)
    return StepInfo(trpo_info, fit_info, targets.explained_variance, vine_info, normalizer_kl)

  def set_progress(self, progress) -> None:
    """Sets the scheduled δ, γ and λ for the next steps from the fraction of training done (clipped to [0, 1])."""
    if self.config.kl_scheduled:
      self.updater.set_progress(progress)
    if self.config.lambda_scheduled:
      self._gae_lambda.assign(linear_schedule(self.config.gae_lambda, self.config.gae_lambda_final, progress,
                                              tf.float64))
    if self.config.gamma_scheduled:
      self._gamma.assign(linear_schedule(self.config.gamma, self.config.gamma_final, progress, tf.float64))

  def targets(self, batch: Batch) -> Targets:
    """V on every row, GAE, and the valid rows' (obs, actions, advantages, returns)."""
    return self._targets(batch.obs, batch.actions, batch.rewards, batch.terminated, batch.truncated,
                         batch.valid, batch.last_obs)

  def wait(self) -> None:
    """Finishes an overlapped value fit, if one is running (the next step reports it)."""
    if self._pending is None:
      return
    started = time.perf_counter()
    self._finished, self._pending = self._pending.result(), None
    self.value_wait_seconds += time.perf_counter() - started

  def close(self) -> None:
    self.wait()
    if self._pool is not None:
      self._pool.shutdown(wait=True)

  def metrics(self, info: StepInfo) -> Dict[str, float]:
    """Flat scalars for logs, progress.csv and TensorBoard."""
    out = {f"trpo/{k}": float(v) for k, v in info.trpo._asdict().items()}
    out["trpo/accepted"] = float(int(info.trpo.status) == STATUS_ACCEPTED)
    out["value/explained_variance"] = float(info.explained_variance)
    if self.config.lambda_scheduled:
      out["advantages/gae_lambda"] = float(self._gae_lambda.numpy())
    if self.config.gamma_scheduled:
      out["advantages/gamma"] = float(self._gamma.numpy())
    if info.normalizer_kl is not None:
      out["policy/normalizer_kl"] = float(info.normalizer_kl)
    if info.vine is not None:
      out.update({"vine/states": float(info.vine.states), "vine/branch_steps": float(info.vine.branch_steps),
                  "vine/q_spread_within_state": float(info.vine.q_spread_within_state)})
    if getattr(self.policy, "log_std", None) is not None:   # a state-independent log σ
      out["policy/log_std_mean"] = float(tf.reduce_mean(tf.convert_to_tensor(self.policy.log_std)))
    if info.value_fit is not None:
      out["value/loss_before_fit"] = float(info.value_fit.loss_before)
      out["value/loss_after_fit"] = float(info.value_fit.loss_after)
    return out

  # -- private --------------------------------------------------------------

  def _start_fit(self, targets: Targets, iteration) -> None:
    if not tf.executing_eagerly():
      raise RuntimeError("overlap_value_fit needs eager execution; compile step() only without it")
    self._pending = self._pool.submit(self.fitter.fit, *self._fit_data(targets), iteration)

  def _fit_data(self, targets: Targets):
    """The value fit's (obs, returns): the value_history - 1 earlier batches' rows, then this batch's."""
    if self._history.maxlen == 0:
      return targets.obs, targets.returns
    if not tf.executing_eagerly():
      raise RuntimeError("value_history > 1 keeps earlier batches between steps: it needs eager execution")
    obs = tf.concat([o for o, _ in self._history] + [targets.obs], 0)
    returns = tf.concat([r for _, r in self._history] + [targets.returns], 0)
    self._history.append((targets.obs, targets.returns))
    return obs, returns

  def _update_normalizer_impl(self, obs):
    """Updates the observation normaliser with the batch; returns the mean KL it caused on it."""
    before = self.policy.dist_params(obs)
    self.policy.normalizer.update(obs)
    return mean_kl(self.policy, obs, before)

  def _targets_impl(self, obs, actions, rewards, terminated, truncated, valid, last_obs):
    shape = tf.shape(valid)
    t, n = shape[0], shape[1]
    flat_obs = tf.reshape(obs, [-1] + obs.shape[2:].as_list())   # static feature shape for the networks
    values_all = tf.cast(self.value_net(tf.concat([flat_obs, last_obs], 0)), tf.float64)
    values, last_values = tf.reshape(values_all[:t * n], shape), values_all[t * n:]
    # A constant λ or γ keeps the graph it always had.
    lam = self._gae_lambda if self.config.lambda_scheduled else self.config.gae_lambda
    gamma = self._gamma if self.config.gamma_scheduled else self.config.gamma
    result = gae(rewards, values, last_values, terminated, truncated, valid, gamma, lam)
    mask = tf.reshape(tf.cast(valid, tf.bool), [-1])
    flat_actions = tf.reshape(actions, [-1] + actions.shape[2:].as_list())
    if self.config.value_targets == "returns":   # λ = 1: the discounted return, V only where a segment was cut
      result = result._replace(returns=gae(rewards, values, last_values, terminated, truncated, valid,
                                           gamma, 1.0).returns)
    returns = tf.boolean_mask(tf.reshape(result.returns, [-1]), mask)
    predicted = tf.boolean_mask(tf.reshape(values, [-1]), mask)
    return Targets(obs=tf.boolean_mask(flat_obs, mask), actions=tf.boolean_mask(flat_actions, mask),
                   advantages=tf.cast(tf.boolean_mask(tf.reshape(result.advantages, [-1]), mask), tf.float32),
                   returns=tf.cast(returns, tf.float32),
                   explained_variance=_explained_variance(predicted, returns))

  def _vine_step(self, vine: VineData, iteration):
    """Q̂ from the branches (plus γ^len·V where cut, if configured), then the vine TRPO step."""
    k, n = vine.partial_q.shape
    bootstrap = tf.zeros((k, n), tf.float64)
    if self._vine_bootstrap and n:
      flat_obs = tf.reshape(vine.bootstrap_obs, (k * n,) + tuple(vine.bootstrap_obs.shape[2:]))
      bootstrap = tf.reshape(tf.cast(self._values(flat_obs), tf.float64), (k, n))
    q = tf.convert_to_tensor(vine.partial_q, tf.float64) + \
        tf.convert_to_tensor(vine.bootstrap_discount, tf.float64) * bootstrap
    info = self.updater.update_vine(vine.states, vine.actions, tf.cast(q, tf.float32), iteration)
    spread = tf.reduce_mean(tf.math.reduce_std(q, axis=0)) if n else tf.constant(float("nan"), tf.float64)
    return info, VineInfo(states=tf.constant(float(n)), branch_steps=vine.branch_steps,
                          q_spread_within_state=spread)


def _explained_variance(predictions: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
  """1 − Var(targets − predictions) / Var(targets); nan when the targets are constant."""
  var = tf.math.reduce_variance(targets)
  return tf.where(var > 0, 1.0 - tf.math.reduce_variance(targets - predictions) / var,
                  tf.constant(float("nan"), targets.dtype))
