"""The TF-Agents collect policy over a trpo_tf policy (or an adapted TF-Agents actor network).

It samples from the action distribution and records in `info` the distribution's
parameters, which `TRPOAgent.loss` scores the current policy against. The eval
policy is TF-Agents' GreedyPolicy over it (mean / argmax). Actions are not
clipped by the policy (the environment adapter clips), so trajectories hold the
samples whose log-probability the update scores.
"""

import tensorflow as tf
from tf_agents.policies import tf_policy
from tf_agents.trajectories import policy_step

from trpo_tf.fisher import raw_variable


def dist_param_specs(policy, action_spec):
  """info specs of the policy's distribution parameters (per sample)."""
  if policy.head.discrete:
    n = int(action_spec.maximum - action_spec.minimum + 1)
    return {"logits": tf.TensorSpec([n], tf.float32)}
  return {"loc": tf.TensorSpec(action_spec.shape, tf.float32),
          "log_std": tf.TensorSpec(action_spec.shape, tf.float32)}


def dist_param_names(policy):
  return ("logits",) if policy.head.discrete else ("loc", "log_std")


class TRPOCollectPolicy(tf_policy.TFPolicy):

  def __init__(self, time_step_spec, action_spec, policy):
    super().__init__(time_step_spec, action_spec, info_spec={"dist_params": dist_param_specs(policy, action_spec)},
                     clip=False, emit_log_probability=False)
    self._trpo_policy = policy
    # Keras 3 trap (see trpo_tf/export.py): savers need the raw tf.Variables tracked.
    self._raw_variables = [raw_variable(v) for v in policy.variables]

  def _variables(self):
    return self._raw_variables

  def _distribution(self, time_step, policy_state):
    params = self._trpo_policy.dist_params(time_step.observation)
    info = {"dist_params": dict(zip(dist_param_names(self._trpo_policy), params))}
    return policy_step.PolicyStep(self._trpo_policy.head.distribution(params), policy_state, info)
