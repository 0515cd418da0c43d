"""TRPOAgent: trpo_tf's learner behind TF-Agents' TFAgent contract.

`train(experience)` takes a [batch, time] Trajectory collected with
`collect_policy`, lays it out as a learner Batch and runs the same
`TRPOLearner.step` as the native loop (GAE, the compiled TRPO step, the
normaliser update, the value fit), increments `train_step_counter` once and
returns a LossInfo whose `extra` holds the TRPO diagnostics. Everything is
TensorFlow, so `agent.train = common.function(agent.train)` compiles it.

Trajectory layout: TF-Agents' boundary rows (step_type LAST → next FIRST) are
exactly trpo_tf's autoreset rows, and a LAST row's observation is the episode's
final observation, so GAE applies unchanged: discount 0 at the end of an
episode means terminated, discount > 0 means truncated (bootstrap). The last
time step of each row is only used to bootstrap (its next observation is not
in the batch), as in TF-Agents' PPO.

Networks: TF-Agents' ActorDistributionNetwork / ValueNetwork pair (as for
PPOClipAgent) or trpo_tf's own (trpo_tf.networks.build_networks); see networks.py.
"""

import dataclasses
from typing import NamedTuple, Optional

import tensorflow as tf
from tf_agents.agents import tf_agent
from tf_agents.policies import greedy_policy
from tf_agents.trajectories import time_step as ts

from trpo_tf.config import TRPOConfig
from trpo_tf.fisher import mean_kl
from trpo_tf.learner import TRPOLearner
from trpo_tf.sampling.batch import Batch
from trpo_tf.surrogates import normalize_advantages, single_path_surrogate
from trpo_tf.tf_agents.networks import as_policy, as_value_function, check_specs
from trpo_tf.tf_agents.policies import TRPOCollectPolicy, dist_param_names

# Keyword hyperparameters → TRPOConfig fields (PPOClipAgent's names where it has one).
_KEYWORDS = {"max_kl": "max_kl", "max_kl_final_fraction": "max_kl_final_fraction",
             "max_kl_hold_fraction": "max_kl_hold_fraction", "cg_iters": "cg_iters", "cg_damping": "cg_damping",
             "kl_per_action_dim": "kl_per_action_dim",
             "fisher_subsample": "fisher_subsample", "fvp_mode": "fvp_mode",
             "line_search_backtracks": "line_search_backtracks", "line_search_shrink": "line_search_shrink",
             "line_search_accept_ratio": "line_search_accept_ratio", "discount_factor": "gamma",
             "discount_factor_final": "gamma_final", "gae_lambda": "gae_lambda", "gae_lambda_final": "gae_lambda_final",
             "normalize_advantages": "normalize_advantages", "value_learning_rate": "value_learning_rate",
             "value_epochs": "value_epochs", "value_minibatch": "value_minibatch",
             "value_targets": "value_targets", "entropy_regularization": "entropy_coef"}


class TRPOLossExtra(NamedTuple):
  """`extra` of train(): what the update did."""
  mean_kl: tf.Tensor
  surrogate_improvement: tf.Tensor
  expected_improvement: tf.Tensor
  line_search_tries: tf.Tensor
  accepted: tf.Tensor
  entropy: tf.Tensor
  value_loss_before: tf.Tensor
  value_loss_after: tf.Tensor
  explained_variance: tf.Tensor


class TRPOLossTerms(NamedTuple):
  """`extra` of loss(): the current networks scored on experience, against the collecting policy."""
  policy_loss: tf.Tensor     # −surrogate: −mean π_θ/π_collect · A (normalised A, plus any entropy bonus)
  mean_kl: tf.Tensor         # KL(π_collect ‖ π_θ) over the valid steps
  value_loss: tf.Tensor      # mean squared error of V on the GAE returns
  entropy: tf.Tensor


class TRPOAgent(tf_agent.TFAgent):
  """TRPO (Schulman et al. 2015) as a TF-Agents agent.

  Hyperparameters come as keywords (defaults: TRPOConfig's) or as one
  `config=TRPOConfig(...)`, keywords overriding it. A scheduled δ
  (max_kl_final_fraction ≠ 1, held for max_kl_hold_fraction of it), γ (discount_factor_final) or GAE λ (gae_lambda_final) runs over
  `total_train_iterations` calls of `train`, counted by `train_step_counter`. Sample weights are not
  supported: `train`/`loss` with `weights` raise ValueError (a weighted TRPO
  would need weighted KL constraints, not only a weighted loss).
  """

  def __init__(self, time_step_spec, action_spec, actor_net, value_net, *,
               max_kl: Optional[float] = None, max_kl_final_fraction: Optional[float] = None,
               max_kl_hold_fraction: Optional[float] = None,
               total_train_iterations: Optional[int] = None, cg_iters: Optional[int] = None,
               cg_damping: Optional[float] = None, kl_per_action_dim: Optional[bool] = None,
               fisher_subsample: Optional[float] = None, fvp_mode: Optional[str] = None, line_search_backtracks: Optional[int] = None,
               line_search_shrink: Optional[float] = None, line_search_accept_ratio: Optional[float] = None,
               discount_factor: Optional[float] = None, discount_factor_final: Optional[float] = None,
               gae_lambda: Optional[float] = None, gae_lambda_final: Optional[float] = None,
               normalize_advantages: Optional[bool] = None,
               value_learning_rate: Optional[float] = None, value_epochs: Optional[int] = None,
               value_minibatch: Optional[int] = None, value_targets: Optional[str] = None,
               entropy_regularization: Optional[float] = None, config: Optional[TRPOConfig] = None, debug_summaries: bool = False,
               summarize_grads_and_vars: bool = False, train_step_counter: Optional[tf.Variable] = None,
               seed: int = 0, name: str = "TRPOAgent"):
    tf.Module.__init__(self, name=name)
    keywords = dict(max_kl=max_kl, max_kl_final_fraction=max_kl_final_fraction,
                    max_kl_hold_fraction=max_kl_hold_fraction, cg_iters=cg_iters, cg_damping=cg_damping, kl_per_action_dim=kl_per_action_dim,
                    fisher_subsample=fisher_subsample,
                    fvp_mode=fvp_mode, line_search_backtracks=line_search_backtracks,
                    line_search_shrink=line_search_shrink, line_search_accept_ratio=line_search_accept_ratio,
                    discount_factor=discount_factor, discount_factor_final=discount_factor_final,
                    gae_lambda=gae_lambda, gae_lambda_final=gae_lambda_final,
                    normalize_advantages=normalize_advantages, value_learning_rate=value_learning_rate,
                    value_epochs=value_epochs, value_minibatch=value_minibatch, value_targets=value_targets,
                    entropy_regularization=entropy_regularization)
    self._config = dataclasses.replace(config or TRPOConfig(), **{
        _KEYWORDS[k]: v for k, v in keywords.items() if v is not None})
    if self._config.needs_progress and not (total_train_iterations or 0) >= 1:
      raise ValueError("max_kl_final_fraction ≠ 1, discount_factor_final or gae_lambda_final schedules δ, γ or λ "
                       "over training: pass "
                       "total_train_iterations (>= 1), "
                       f"the number of train() calls it spans, got {total_train_iterations!r}")
    self._total_train_iterations = total_train_iterations
    check_specs(time_step_spec.observation, action_spec)
    self._actor_net, self._value_net = actor_net, value_net
    self._trpo_policy = as_policy(actor_net, time_step_spec.observation, action_spec)
    self._value_function = as_value_function(value_net, time_step_spec.observation)
    self._learner = TRPOLearner(self._trpo_policy, self._value_function, self._config, seed)
    self._value_optimizer = self._learner.value_optimizer   # tracked: Checkpointer saves Adam's state
    collect_policy = TRPOCollectPolicy(time_step_spec, action_spec, self._trpo_policy)
    super().__init__(time_step_spec, action_spec, policy=greedy_policy.GreedyPolicy(collect_policy),
                     collect_policy=collect_policy, train_sequence_length=None,
                     debug_summaries=debug_summaries, summarize_grads_and_vars=summarize_grads_and_vars,
                     train_step_counter=train_step_counter)

  @property
  def config(self) -> TRPOConfig:
    """The resolved hyperparameters."""
    return self._config

  @property
  def trpo_policy(self):
    """trpo_tf's view of the actor (dist_params / mode / sample): for evaluation and export."""
    return self._trpo_policy

  @property
  def value_optimizer(self):
    return self._value_optimizer

  # -- TFAgent ----------------------------------------------------------------

  def _initialize(self):
    return tf.no_op()

  def _train(self, experience, weights):
    _reject_weights(weights)
    progress = None
    if self._total_train_iterations:
      progress = tf.cast(self.train_step_counter, tf.float32) / float(self._total_train_iterations)
    info = self._learner.step(self._as_batch(experience), self.train_step_counter, progress)
    if self._debug_summaries:
      self._summarize(info)
    if self._summarize_grads_and_vars:
      self._summarize_variables(info)
    self.train_step_counter.assign_add(1)
    trpo, fit = info.trpo, info.value_fit
    extra = TRPOLossExtra(mean_kl=trpo.mean_kl, surrogate_improvement=trpo.improvement,
                          expected_improvement=trpo.expected_improvement,
                          line_search_tries=trpo.line_search_tries, accepted=tf.equal(trpo.status, 0),
                          entropy=trpo.entropy, value_loss_before=fit.loss_before, value_loss_after=fit.loss_after,
                          explained_variance=info.explained_variance)
    return tf_agent.LossInfo(loss=fit.loss_after - trpo.improvement, extra=extra)

  def _loss(self, experience, weights=None, training=False):
    """The surrogate, KL and value losses of the current networks; changes no variable."""
    _reject_weights(weights)
    batch = self._as_batch(experience)
    targets = self._learner.targets(batch)
    mask = tf.reshape(batch.valid, [-1])
    recorded = experience.policy_info["dist_params"]
    old_params = tuple(tf.boolean_mask(tf.reshape(_rows(recorded[name]), [-1] + recorded[name].shape[2:].as_list()),
                                       mask) for name in dist_param_names(self._trpo_policy))
    policy, cfg = self._trpo_policy, self._config
    advantages = normalize_advantages(targets.advantages) if cfg.normalize_advantages else targets.advantages
    old_log_prob = policy.head.distribution(old_params).log_prob(targets.actions)
    surrogate = single_path_surrogate(policy, targets.obs, targets.actions, advantages, old_log_prob,
                                      cfg.entropy_coef)
    value_loss = tf.reduce_mean(tf.square(self._value_function(targets.obs) - targets.returns))
    entropy = tf.reduce_mean(policy.head.distribution(policy.dist_params(targets.obs)).entropy())
    terms = TRPOLossTerms(policy_loss=-surrogate, mean_kl=mean_kl(policy, targets.obs, old_params),
                          value_loss=value_loss, entropy=entropy)
    return tf_agent.LossInfo(loss=terms.policy_loss + value_loss, extra=terms)

  # -- private ----------------------------------------------------------------

  def _as_batch(self, experience) -> Batch:
    """[B, T] Trajectory → the learner's [T − 1, B] Batch (the last step only bootstraps)."""
    time_steps = experience.step_type.shape[1]
    if time_steps is not None and time_steps < 2:
      raise ValueError(f"TRPOAgent.train needs trajectories of at least 2 time steps, got {time_steps}")
    last = tf.constant(ts.StepType.LAST, experience.step_type.dtype)
    done = tf.equal(_rows(experience.next_step_type), last)
    discount = _rows(experience.discount)
    return Batch(obs=_rows(experience.observation), actions=_rows(experience.action),
                 rewards=tf.cast(_rows(experience.reward), tf.float64),
                 terminated=done & tf.equal(discount, 0.0), truncated=done & (discount > 0.0),
                 valid=tf.not_equal(_rows(experience.step_type), last),
                 last_obs=experience.observation[:, -1])

  def _summarize(self, info):
    step = self.train_step_counter
    scalars = {"mean_kl": info.trpo.mean_kl, "surrogate_improvement": info.trpo.improvement,
               "expected_improvement": info.trpo.expected_improvement, "entropy": info.trpo.entropy,
               "line_search_tries": info.trpo.line_search_tries, "step_fraction": info.trpo.step_fraction,
               "cg_residual": info.trpo.cg_residual, "accepted": tf.cast(tf.equal(info.trpo.status, 0), tf.float32),
               "value_loss_before_fit": info.value_fit.loss_before,
               "value_loss_after_fit": info.value_fit.loss_after,
               "explained_variance": info.explained_variance}
    with tf.name_scope("TRPO"):
      for name, value in scalars.items():
        tf.compat.v2.summary.scalar(name=name, data=value, step=step)

  def _summarize_variables(self, info):
    """Histograms of the policy's and value function's weights, and the surrogate gradient's norm
    (TRPO steps along F⁻¹g, not g, so per-variable gradients are not what moved the weights)."""
    step = self.train_step_counter
    with tf.name_scope("TRPO_variables"):
      for variable in list(self._trpo_policy.trainable_variables) + list(self._value_function.trainable_variables):
        tf.compat.v2.summary.histogram(name=variable.name.replace(":", "_"), data=variable, step=step)
      tf.compat.v2.summary.scalar(name="surrogate_gradient_norm", data=info.trpo.gradient_norm, step=step)


def _rows(x):
  """[B, T, ...] → [T − 1, B, ...]: time-major, without the bootstrap-only last step."""
  x = tf.convert_to_tensor(x)
  return tf.transpose(x, [1, 0] + list(range(2, x.shape.rank)))[:-1]


def _reject_weights(weights) -> None:
  if weights is not None:
    raise ValueError("TRPOAgent does not support sample weights: TRPO's trust region is a mean KL over the "
                     "sampled states, which per-sample weights would change; pass weights=None")
