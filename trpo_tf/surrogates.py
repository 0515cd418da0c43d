"""The surrogate objectives L_θold(θ) of the two sampling schemes (paper §5).

single path (eq. 14): mean over samples of  π_θ(a|s)/π_old(a|s) · A.
vine (§5.2), per rollout-set state s_n with K branch actions a_{n,k} and
rollout estimates Q_{n,k}, averaged over states:
  - discrete, actions enumerated or drawn uniformly:  Σ_k π_θ(a_k|s_n) Q_{n,k};
  - continuous, actions drawn from π_old: the self-normalised importance-sampling
    estimator  Σ_k r_k Q_{n,k} / Σ_k r_k,  r_k = π_θ(a_k|s_n)/π_old(a_k|s_n),
    which needs no baseline (adding a constant to Q leaves it unchanged).
Vine tensors are branch-major: actions [K, N, *act], values [K, N], so that a
distribution with batch shape [N] scores all K branches in one log_prob call.
"""

import tensorflow as tf


def normalize_advantages(advantages) -> tf.Tensor:
  """(A − mean) / (std + 1e-8) over the batch: the step is scale-free, the line search's numbers O(1)."""
  mean, var = tf.nn.moments(advantages, axes=[0])
  return (advantages - mean) / (tf.sqrt(var) + 1e-8)


def single_path_surrogate(policy, obs, actions, advantages, old_log_prob, entropy_coef: float = 0.0) -> tf.Tensor:
  """Plus entropy_coef · mean H(π_θ(·|s)) when entropy_coef > 0 (an optional exploration bonus)."""
  dist = policy.head.distribution(policy.dist_params(obs))
  value = tf.reduce_mean(tf.exp(dist.log_prob(actions) - old_log_prob) * advantages)
  if entropy_coef > 0:
    value += entropy_coef * tf.reduce_mean(dist.entropy())
  return value


def vine_surrogate(policy, states, actions, q_values, old_log_prob) -> tf.Tensor:
  """states [N, ...], actions [K, N, ...], q_values and old_log_prob [K, N]."""
  log_prob = policy.head.distribution(policy.dist_params(states)).log_prob(actions)   # [K, N]
  if policy.head.discrete:
    per_state = tf.reduce_sum(tf.exp(log_prob) * q_values, axis=0)
  else:
    ratio = tf.exp(log_prob - old_log_prob)
    per_state = tf.reduce_sum(ratio * q_values, axis=0) / tf.reduce_sum(ratio, axis=0)
  return tf.reduce_mean(per_state)
