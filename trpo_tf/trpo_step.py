"""The TRPO policy update as one compiled call (paper §6 and appendix C).

Single-path and vine batches differ only in their surrogate (surrogates.py)
and in the states the KL is measured on; the rest is shared:

surrogate gradient g → CG solve of (F + λI) x = g with Fisher-vector products
→ full step β x, β = sqrt(2δ / xᵀFx) → backtracking line search enforcing
KL ≤ δ and improvement. Non-finite g, x or xᵀFx never reach the parameters.
"""

from typing import NamedTuple

import tensorflow as tf

from trpo_tf import flat
from trpo_tf.config import TRPOConfig
from trpo_tf.conjugate_gradient import conjugate_gradient
from trpo_tf.fisher import make_fvp, mean_kl, raw_variables
from trpo_tf.line_search import LineSearchResult, backtracking_line_search
from trpo_tf.surrogates import normalize_advantages, single_path_surrogate, vine_surrogate

# Why a step was or was not taken (TRPOInfo.status).
STATUS_ACCEPTED, STATUS_LINE_SEARCH_FAILED, STATUS_NONFINITE, STATUS_ZERO_GRADIENT = 0, 1, 2, 3
ZERO_GRADIENT_SQ = 1e-10   # ‖g‖² below this counts as no gradient (e.g. all advantages equal)


class TRPOInfo(NamedTuple):
  """Diagnostics of one update (all scalar tensors)."""
  status: tf.Tensor
  surrogate_before: tf.Tensor
  improvement: tf.Tensor            # realised surrogate gain (0 when rejected)
  expected_improvement: tf.Tensor   # gᵀ(βx), the linear prediction of the full step
  mean_kl: tf.Tensor                # KL(π_old ‖ π_new) after the update
  line_search_tries: tf.Tensor
  step_fraction: tf.Tensor
  cg_iterations: tf.Tensor
  cg_residual: tf.Tensor
  gradient_norm: tf.Tensor
  entropy: tf.Tensor                # mean entropy of π_old on the batch


def linear_schedule(start: float, final: float, progress, dtype) -> tf.Tensor:
  """start + (final − start)·p, p the fraction of training done clipped to [0, 1]: a hyperparameter moved
  linearly over a run (δ's scale, GAE λ)."""
  progress = tf.clip_by_value(tf.cast(progress, dtype), 0.0, 1.0)
  return start + (final - start) * progress


class TRPOUpdater:
  """Holds a policy and a config; `update` / `update_vine` run one compiled TRPO step in place."""

  def __init__(self, policy, config: TRPOConfig, seed: int = 0):
    self.policy, self.config, self.seed = policy, config, seed
    self._variables = raw_variables(policy)
    self._update = None
    self._update_vine = None
    # δ's factor under config.max_kl_final_fraction (set_progress); the compiled steps read it at each call.
    self._max_kl_scale = tf.Variable(1.0, trainable=False, dtype=tf.float32, name="max_kl_scale")

  def set_progress(self, progress) -> None:
    """Sets δ for the next updates from the fraction of training done: max_kl until max_kl_hold_fraction, then
    linear to its final fraction at 1."""
    hold = self.config.max_kl_hold_fraction
    moved = (tf.cast(progress, tf.float32) - hold) / (1.0 - hold)
    self._max_kl_scale.assign(linear_schedule(1.0, self.config.max_kl_final_fraction, moved, tf.float32))

  def update(self, obs, actions, advantages, iteration: int = 0) -> TRPOInfo:
    """One single-path TRPO step on a batch. Advantages are normalised here if configured."""
    obs, actions = tf.convert_to_tensor(obs), tf.convert_to_tensor(actions)   # uint8 images stay uint8
    if self._update is None:  # one trace for any batch size
      self._update = tf.function(self._single_path_impl, input_signature=[
          tf.TensorSpec([None] + obs.shape[1:], obs.dtype),
          tf.TensorSpec([None] + actions.shape[1:], actions.dtype),
          tf.TensorSpec([None], tf.float32), tf.TensorSpec([], tf.int32)])
    return self._update(obs, actions, tf.convert_to_tensor(advantages, tf.float32),
                        tf.cast(iteration, tf.int32))

  def update_vine(self, states, actions, q_values, iteration: int = 0) -> TRPOInfo:
    """One vine TRPO step: states [N, ...], branch actions [K, N, ...], Q estimates [K, N].

    The mean KL, its Fisher and the line search all use the rollout-set states.
    """
    states, actions = tf.convert_to_tensor(states), tf.convert_to_tensor(actions)
    if self._update_vine is None:
      self._update_vine = tf.function(self._vine_impl, input_signature=[
          tf.TensorSpec([None] + states.shape[1:], states.dtype),
          tf.TensorSpec([None, None] + actions.shape[2:], actions.dtype),
          tf.TensorSpec([None, None], tf.float32), tf.TensorSpec([], tf.int32)])
    return self._update_vine(states, actions, tf.convert_to_tensor(q_values, tf.float32),
                             tf.cast(iteration, tf.int32))

  # -- private --------------------------------------------------------------

  def _single_path_impl(self, obs, actions, advantages, iteration):
    if self.config.normalize_advantages:
      advantages = normalize_advantages(advantages)
    old_params = tuple(tf.stop_gradient(p) for p in self.policy.dist_params(obs))
    old_dist = self.policy.head.distribution(old_params)
    old_log_prob = tf.stop_gradient(old_dist.log_prob(actions))
    surrogate = lambda: single_path_surrogate(self.policy, obs, actions, advantages, old_log_prob,
                                              self.config.entropy_coef)
    return self._step(surrogate, obs, old_params, tf.reduce_mean(old_dist.entropy()), iteration)

  def _vine_impl(self, states, actions, q_values, iteration):
    # Centre Q per state (the discrete estimator's baseline; the self-normalised one is shift-invariant)
    # and scale by its spread: a positive scale leaves the TRPO step unchanged and keeps numbers O(1).
    q_values = q_values - tf.reduce_mean(q_values, axis=0, keepdims=True)
    q_values = q_values / (tf.math.reduce_std(q_values) + 1e-8)
    old_params = tuple(tf.stop_gradient(p) for p in self.policy.dist_params(states))
    old_dist = self.policy.head.distribution(old_params)
    old_log_prob = tf.stop_gradient(old_dist.log_prob(actions))
    surrogate = lambda: vine_surrogate(self.policy, states, actions, q_values, old_log_prob)
    return self._step(surrogate, states, old_params, tf.reduce_mean(old_dist.entropy()), iteration)

  def _step(self, surrogate_fn, kl_obs, old_params, entropy, iteration):
    """g, CG with Fisher-vector products, scaled step and line search, for any surrogate."""
    cfg, policy, variables = self.config, self.policy, self._variables
    max_kl, damping = cfg.trust_region(policy.head.action_dims(old_params))
    if cfg.kl_scheduled:   # a constant δ keeps the graph it always had
      max_kl = max_kl * self._max_kl_scale
    with tf.GradientTape() as tape:
      surrogate = surrogate_fn()
    g = flat.flatten(tape.gradient(surrogate, variables))

    fisher_obs, fisher_params = self._fisher_subsample(kl_obs, old_params, iteration)
    fvp = make_fvp(policy, fisher_obs, fisher_params, damping, cfg.fvp_mode)
    cg = conjugate_gradient(fvp, g, cfg.cg_iters)
    shs = 0.5 * tf.tensordot(cg.x, fvp(cg.x), 1)
    finite = tf.reduce_all(tf.math.is_finite(g)) & tf.reduce_all(tf.math.is_finite(cg.x)) & tf.math.is_finite(shs)
    # A (numerically) zero gradient gives x = 0 and xᵀFx = 0: nothing to step along, but nothing non-finite.
    nonzero = (tf.reduce_sum(tf.square(tf.where(tf.math.is_finite(g), g, tf.zeros_like(g)))) >= ZERO_GRADIENT_SQ) \
        & (shs > 0.0)
    usable = finite & nonzero
    beta = tf.where(usable, tf.sqrt(max_kl / tf.where(usable, shs, 1.0)), 0.0)
    full_step = tf.where(usable, beta * cg.x, tf.zeros_like(cg.x))
    expected = tf.tensordot(g, full_step, 1)
    grad_norm = tf.norm(tf.where(tf.math.is_finite(g), g, tf.zeros_like(g)))

    def evaluate():
      return surrogate_fn(), mean_kl(policy, kl_obs, old_params)

    def search():
      return backtracking_line_search(
          variables, evaluate, flat.get_flat(variables), full_step, surrogate, expected,
          max_kl, cfg.line_search_backtracks, cfg.line_search_shrink, cfg.line_search_accept_ratio)

    zero = tf.zeros([], tf.float32)
    skipped = lambda: LineSearchResult(tf.constant(False), tf.constant(0), zero, zero, zero)
    accepted, tries, frac, gain, kl = tf.cond(usable & (expected > 0.0), search, skipped)
    status = tf.where(accepted, STATUS_ACCEPTED,
                      tf.where(~finite, STATUS_NONFINITE,
                               tf.where(usable & (expected > 0.0), STATUS_LINE_SEARCH_FAILED, STATUS_ZERO_GRADIENT)))
    return TRPOInfo(status=status, surrogate_before=surrogate, improvement=gain,
                    expected_improvement=expected, mean_kl=kl, line_search_tries=tries,
                    step_fraction=frac, cg_iterations=cg.iterations, cg_residual=cg.residual_norm,
                    gradient_norm=grad_norm, entropy=entropy)

  def _fisher_subsample(self, obs, old_params, iteration):
    """A seeded fraction of the batch for the Fisher (paper §6: ~10% suffices)."""
    if self.config.fisher_subsample >= 1.0:
      return obs, old_params
    n = tf.shape(obs)[0]
    k = tf.maximum(1, tf.cast(tf.cast(n, tf.float32) * self.config.fisher_subsample, tf.int32))
    noise = tf.random.stateless_uniform([n], seed=tf.stack([self.seed, iteration]))
    idx = tf.math.top_k(noise, k).indices
    return tf.gather(obs, idx), tuple(tf.gather(p, idx) for p in old_params)
