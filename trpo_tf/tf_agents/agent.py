"""TRPOAgent: trpo_tf's TRPO update behind TF-Agents' TFAgent contract.

`train(experience)` takes a [batch, time] Trajectory collected with
`collect_policy`, computes GAE with trpo_tf.advantages.gae, runs the same
compiled TRPO step (trpo_step.TRPOUpdater: same Fisher-vector products, CG and
line search) and value fit as the native trainer, updates the observation
normaliser, increments `train_step_counter` once, and returns a LossInfo whose
`extra` holds the TRPO diagnostics.

Trajectory layout: TF-Agents' boundary rows (step_type LAST → next FIRST) are
exactly trpo_tf's autoreset rows, and a LAST row's observation is the episode's
final observation, so GAE applies unchanged: discount 0 at the end of an
episode means terminated, discount > 0 means truncated (bootstrap). The last
time step of each row is only used to bootstrap (its next observation is not
in the batch), as in TF-Agents' PPO. `train` runs eagerly; its heavy parts are
compiled.
"""

from typing import NamedTuple

import numpy as np
import tensorflow as tf
from tf_agents.agents import tf_agent
from tf_agents.policies import greedy_policy
from tf_agents.trajectories import time_step as ts

from trpo_tf.advantages import gae
from trpo_tf.config import TRPOConfig
from trpo_tf.tf_agents.policies import TRPOCollectPolicy
from trpo_tf.trpo_step import TRPOUpdater
from trpo_tf.value_fit import ValueFitter


class TRPOLossExtra(NamedTuple):
  mean_kl: tf.Tensor
  surrogate_improvement: tf.Tensor
  expected_improvement: tf.Tensor
  line_search_tries: tf.Tensor
  accepted: tf.Tensor
  entropy: tf.Tensor
  value_loss_before: tf.Tensor
  value_loss_after: tf.Tensor


class TRPOAgent(tf_agent.TFAgent):

  def __init__(self, time_step_spec, action_spec, policy_net, value_net, config: TRPOConfig = TRPOConfig(),
               train_step_counter=None, seed: int = 0, name: str = "TRPOAgent"):
    tf.Module.__init__(self, name=name)
    self._config, self._seed = config, seed
    self._policy_net, self._value_net = policy_net, value_net
    self._updater = TRPOUpdater(policy_net, config, seed)
    self._fitter = ValueFitter(value_net, config.value_learning_rate, config.value_epochs,
                               config.value_minibatch, seed)
    collect_policy = TRPOCollectPolicy(time_step_spec, action_spec, policy_net, value_net)
    super().__init__(time_step_spec, action_spec, policy=greedy_policy.GreedyPolicy(collect_policy),
                     collect_policy=collect_policy, train_sequence_length=None,
                     train_step_counter=train_step_counter)

  def _initialize(self):
    return tf.no_op()

  def _train(self, experience, weights):
    del weights  # TRPO weighs every valid transition equally
    cfg = self._config
    obs = experience.observation.numpy()                      # [B, T, ...]
    step_type, next_step_type = experience.step_type.numpy(), experience.next_step_type.numpy()
    B, T = step_type.shape
    if T < 2:
      raise ValueError("TRPOAgent.train needs trajectories of at least 2 time steps")
    values = experience.policy_info["value"].numpy().astype(np.float64)
    # [T, B] layout for gae(); the last column only bootstraps.
    swap = lambda x: np.swapaxes(x, 0, 1)[:T - 1]
    done = swap(next_step_type == ts.StepType.LAST)
    discount = swap(experience.discount.numpy())
    valid = swap(step_type != ts.StepType.LAST)
    result = gae(swap(experience.reward.numpy()).astype(np.float64), swap(values), values[:, T - 1],
                 done & (discount == 0), done & (discount > 0), valid, cfg.gamma, cfg.gae_lambda)
    mask = valid.reshape(-1)
    flat = lambda x: np.swapaxes(x, 0, 1)[:T - 1].reshape((-1,) + x.shape[2:])[mask]
    obs_v, actions_v = flat(obs), flat(experience.action.numpy())
    advantages, returns = result.advantages.reshape(-1)[mask], result.returns.reshape(-1)[mask]
    iteration = int(self.train_step_counter.numpy())
    info = self._updater.update(obs_v, actions_v, advantages, iteration)
    self._policy_net.normalizer.update(obs_v)
    vf = self._fitter.fit(obs_v, returns.astype(np.float32), iteration)
    self.train_step_counter.assign_add(1)
    extra = TRPOLossExtra(mean_kl=info.mean_kl, surrogate_improvement=info.improvement,
                          expected_improvement=info.expected_improvement,
                          line_search_tries=info.line_search_tries, accepted=tf.equal(info.status, 0),
                          entropy=info.entropy, value_loss_before=vf.loss_before, value_loss_after=vf.loss_after)
    return tf_agent.LossInfo(loss=vf.loss_after - info.improvement, extra=extra)
