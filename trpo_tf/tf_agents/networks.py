"""TF-Agents networks as trpo_tf policies and value functions, and spec checks for both kinds.

The TRPO maths (learner.py, trpo_step.py, fisher.py) needs a policy that maps
observations to distribution parameters (`dist_params`) plus a `head` that
knows the distribution family (distributions.py). trpo_tf's Keras networks are
such policies; `ActorNetworkPolicy` makes one of a TF-Agents
`ActorDistributionNetwork` (normal or categorical projection), reading the
parameters off the distribution the network returns, so KL, Fisher-vector
products (both modes), CG and the line search apply to any differentiable
actor network unchanged.

Discrete actions: TF-Agents 0.19's own `CategoricalProjectionNetwork` cannot be
constructed under numpy 2 (it converts a 1-element array with `int()`).
`categorical_projection_net` builds the same projection (its `call` and output
spec are TF-Agents' own) with the action count read correctly; pass it as
`ActorDistributionNetwork(..., discrete_projection_net=categorical_projection_net)`.
"""

import numpy as np
import tensorflow as tf
from tf_agents.networks import categorical_projection_network, network
from tf_agents.specs import tensor_spec

from trpo_tf.distributions import CategoricalHead, DiagGaussianHead
from trpo_tf.networks import CategoricalMLPPolicy, GaussianMLPPolicy, Policy, ValueNetwork


class CategoricalProjectionNetwork(categorical_projection_network.CategoricalProjectionNetwork):
  """TF-Agents' categorical projection (logits → tfp Categorical), constructible under numpy 2."""

  def __init__(self, sample_spec, logits_init_output_factor: float = 0.1, name: str = "CategoricalProjectionNetwork"):
    if not tensor_spec.is_bounded(sample_spec) or not tensor_spec.is_discrete(sample_spec):
      raise ValueError(f"a categorical projection needs a bounded discrete action spec, got {sample_spec}")
    counts = np.unique(np.asarray(sample_spec.maximum) - np.asarray(sample_spec.minimum) + 1)
    if counts.size != 1 or counts[0] <= 0:
      raise ValueError(f"every action dimension needs the same positive number of actions, got {sample_spec}")
    output_shape = sample_spec.shape.concatenate([int(counts[0])])
    network.DistributionNetwork.__init__(
        self, input_tensor_spec=None, state_spec=(),
        output_spec=self._output_distribution_spec(output_shape, sample_spec, name), name=name)
    self._sample_spec, self._output_shape = sample_spec, output_shape
    self._projection_layer = tf.keras.layers.Dense(
        output_shape.num_elements(),
        kernel_initializer=tf.compat.v1.keras.initializers.VarianceScaling(scale=logits_init_output_factor),
        bias_initializer=tf.keras.initializers.Zeros(), name="logits")


def categorical_projection_net(action_spec, logits_init_output_factor: float = 0.1):
  """For ActorDistributionNetwork's `discrete_projection_net` argument."""
  return CategoricalProjectionNetwork(action_spec, logits_init_output_factor)


class ActorNetworkPolicy(tf.Module):
  """A TF-Agents actor distribution network seen as a trpo_tf policy (no observation normaliser)."""

  normalizer = None

  def __init__(self, actor_net: network.DistributionNetwork, action_spec):
    super().__init__(name="actor_network_policy")
    self.net = actor_net
    self.head = CategoricalHead() if _is_discrete(action_spec) else DiagGaussianHead()

  @property
  def trainable_variables(self):
    return self.net.trainable_variables

  @property
  def variables(self):
    return self.net.variables

  def dist_params(self, obs):
    dist, _ = self.net(obs, step_type=None, network_state=(), training=False)
    if self.head.discrete:
      return (dist.logits_parameter(),)
    return dist.mean(), tf.math.log(dist.stddev())

  def sample(self, obs, seed):
    return self.head.distribution(self.dist_params(obs)).sample(seed=seed)

  def mode(self, obs):
    return self.head.mode(self.dist_params(obs))


class ValueNetworkFunction(tf.Module):
  """A TF-Agents ValueNetwork as a function of observations, like trpo_tf's ValueNetwork."""

  def __init__(self, value_net: network.Network):
    super().__init__(name="value_network_function")
    self.net = value_net

  @property
  def trainable_variables(self):
    return self.net.trainable_variables

  def __call__(self, obs):
    return self.net(obs, step_type=None, network_state=(), training=False)[0]


def as_policy(actor_net, observation_spec, action_spec):
  """trpo_tf's policy view of `actor_net` (a trpo_tf Policy or a TF-Agents actor network), spec-checked."""
  if isinstance(actor_net, Policy):
    _check_trpo_policy(actor_net, observation_spec, action_spec)
    return actor_net
  if isinstance(actor_net, network.DistributionNetwork):
    _check_tf_agents_net("actor_net", actor_net, observation_spec)
    _check_projection(actor_net, action_spec)
    actor_net.create_variables()
    return ActorNetworkPolicy(actor_net, action_spec)
  raise TypeError(f"actor_net must be a TF-Agents ActorDistributionNetwork or a trpo_tf policy "
                  f"(trpo_tf.networks.build_networks), got {type(actor_net).__name__}")


def as_value_function(value_net, observation_spec):
  """trpo_tf's view of `value_net` (a trpo_tf ValueNetwork or a TF-Agents ValueNetwork), spec-checked."""
  if isinstance(value_net, ValueNetwork):
    _check_normalizer_shape("value_net", value_net, observation_spec)
    return value_net
  if isinstance(value_net, network.Network):
    _check_tf_agents_net("value_net", value_net, observation_spec)
    value_net.create_variables()
    return ValueNetworkFunction(value_net)
  raise TypeError(f"value_net must be a TF-Agents ValueNetwork or a trpo_tf ValueNetwork, "
                  f"got {type(value_net).__name__}")


def check_specs(observation_spec, action_spec) -> None:
  """TRPOAgent handles one observation tensor and one action tensor: a scalar discrete action in
  [0, n) or a vector of continuous ones."""
  if len(tf.nest.flatten(observation_spec)) != 1 or len(tf.nest.flatten(action_spec)) != 1:
    raise ValueError("TRPOAgent supports a single (non-nested) observation and action spec, got "
                     f"{observation_spec} and {action_spec}")
  if _is_discrete(action_spec):
    if action_spec.shape.rank != 0 or int(np.min(action_spec.minimum)) != 0:
      raise ValueError(f"discrete actions must be scalars numbered from 0, got {action_spec}")
  elif action_spec.shape.rank != 1:
    raise ValueError(f"continuous actions must be a vector (shape [n]), got shape {action_spec.shape}")


# -- private ------------------------------------------------------------------

def _is_discrete(spec) -> bool:
  return spec.dtype.is_integer


def _describe(spec) -> str:
  return f"{tuple(spec.shape.as_list())} {spec.dtype.name}"


def _check_tf_agents_net(name, net, observation_spec):
  if net.state_spec:
    raise ValueError(f"{name} is recurrent (state_spec {net.state_spec}); TRPOAgent supports feed-forward networks")
  spec = net.input_tensor_spec
  if len(tf.nest.flatten(spec)) != 1 or not spec.shape.is_compatible_with(observation_spec.shape) \
      or spec.dtype != observation_spec.dtype:
    raise ValueError(f"{name} takes observations {_describe(spec)} but the environment's observation spec "
                     f"is {_describe(observation_spec)}")


def _check_projection(actor_net, action_spec):
  sample_spec = getattr(actor_net.output_spec, "sample_spec", None)
  if sample_spec is None or len(tf.nest.flatten(sample_spec)) != 1:
    raise ValueError(f"actor_net must output one action distribution, got output spec {actor_net.output_spec}")
  if sample_spec.shape != action_spec.shape or sample_spec.dtype != action_spec.dtype or \
      not np.array_equal(sample_spec.minimum, action_spec.minimum) or \
      not np.array_equal(sample_spec.maximum, action_spec.maximum):
    raise ValueError(f"actor_net was built for actions {sample_spec} but the environment's action spec is "
                     f"{action_spec}")


def _check_normalizer_shape(name, net, observation_spec):
  shape = tuple(net.normalizer.mean.shape)
  if shape != tuple(observation_spec.shape.as_list()):
    raise ValueError(f"{name} was built for observations of shape {shape} but the environment's observation "
                     f"spec has shape {tuple(observation_spec.shape.as_list())}")


def _check_trpo_policy(policy, observation_spec, action_spec):
  _check_normalizer_shape("actor_net", policy, observation_spec)
  if isinstance(policy, CategoricalMLPPolicy):
    if not _is_discrete(action_spec):
      raise ValueError(f"actor_net is a categorical policy but the environment's actions are continuous "
                       f"({action_spec})")
    wanted = int(np.max(action_spec.maximum)) + 1
    if policy.logits_layer.units != wanted:
      raise ValueError(f"actor_net has {policy.logits_layer.units} actions but the environment's action spec "
                       f"has {wanted}")
  elif isinstance(policy, GaussianMLPPolicy):
    if _is_discrete(action_spec):
      raise ValueError(f"actor_net is a Gaussian policy but the environment's actions are discrete ({action_spec})")
    wanted = int(np.prod(action_spec.shape.as_list()))
    if policy.mean_layer.units != wanted:
      raise ValueError(f"actor_net has {policy.mean_layer.units} action dimensions but the environment's action "
                       f"spec has {wanted}")
