"""A TF-Agents-compatible SavedModel: PolicySaver's signatures plus trpo_tf's.

The model has `action`, `get_initial_state`, `get_train_step`, `get_metadata`
and policy_specs.pbtxt (so SavedModelPyTFEagerPolicy loads it), and the same
`serving_default`, `sample` and `distribution` signatures as trpo_tf.export
(so launchers/evaluate.py plays it, --stochastic included), written atomically
as the next version of a TF Serving base. Loading it needs TFP's types
registered (`import tensorflow_probability` first): PolicySaver stores them.
"""

from tf_agents.policies import policy_saver

from trpo_tf.export import PolicyServingModule, write_version


def export_tf_agents_policy(tf_policy, policy_net, observation_space, action_space, base_dir: str,
                            metadata: dict, train_step=None) -> str:
  """Saves `tf_policy` (e.g. TRPOAgent.policy) with PolicySaver plus trpo_tf's signatures; returns the version dir."""
  def write(model_dir, meta_path):
    saver = policy_saver.PolicySaver(tf_policy, batch_size=None, train_step=train_step)
    serving = PolicyServingModule(policy_net, observation_space, action_space, meta_path)
    for name, fn in serving.signatures().items():   # registered on the policy: tracks their variables
      saver.register_concrete_function(f"trpo_{name}", fn, assets=serving.metadata)
      saver.signatures[name] = fn.get_concrete_function()
    saver.save(model_dir)
  return write_version(base_dir, metadata, write)
