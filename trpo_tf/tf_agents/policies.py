"""TF-Agents policies over trpo_tf's Keras networks.

The collect policy samples from the TFP action distribution and records in
`info` what the TRPO update needs: the old distribution's parameters and the
value prediction. The eval policy is TF-Agents' GreedyPolicy over it (mean /
argmax). Actions are not clipped by the policy (the environment adapter clips),
so trajectories hold the samples whose log-probability the update scores.
"""

import tensorflow as tf
from tf_agents.policies import tf_policy
from tf_agents.trajectories import policy_step


def dist_param_specs(policy, action_spec):
  """info specs of the policy's distribution parameters (per sample)."""
  if policy.head.discrete:
    n = int(action_spec.maximum - action_spec.minimum + 1)
    return {"logits": tf.TensorSpec([n], tf.float32)}
  return {"loc": tf.TensorSpec(action_spec.shape, tf.float32),
          "log_std": tf.TensorSpec(action_spec.shape, tf.float32)}


class TRPOCollectPolicy(tf_policy.TFPolicy):

  def __init__(self, time_step_spec, action_spec, policy_net, value_net):
    info_spec = {"dist_params": dist_param_specs(policy_net, action_spec),
                 "value": tf.TensorSpec([], tf.float32)}
    super().__init__(time_step_spec, action_spec, info_spec=info_spec, clip=False,
                     emit_log_probability=False)
    self._policy_net, self._value_net = policy_net, value_net
    # Keras 3 trap (see trpo_tf/export.py): savers need the raw tf.Variables tracked.
    self._raw_variables = [getattr(v, "value", v) for v in policy_net.variables + value_net.variables]

  def _variables(self):
    return self._raw_variables

  def _distribution(self, time_step, policy_state):
    obs = time_step.observation
    params = self._policy_net.dist_params(obs)
    dist = self._policy_net.head.distribution(params)
    names = ("logits",) if self._policy_net.head.discrete else ("loc", "log_std")
    info = {"dist_params": dict(zip(names, params)), "value": self._value_net(obs)}
    return policy_step.PolicyStep(dist, policy_state, info)
