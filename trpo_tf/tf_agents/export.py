"""A TF-Agents-compatible SavedModel: PolicySaver's signatures plus `serving_default`.

The model has `action`, `get_initial_state`, `get_train_step`, `get_metadata`
and policy_specs.pbtxt (so SavedModelPyTFEagerPolicy loads it), and the same
`serving_default` signature as trpo_tf.export (observations → deterministic
actions), written atomically as the next version of a TF Serving base.
"""

from tf_agents.policies import policy_saver

from trpo_tf.export import PolicyServingModule, write_version


def export_tf_agents_policy(tf_policy, policy_net, observation_space, action_space, base_dir: str,
                            metadata: dict, train_step=None) -> str:
  """Saves `tf_policy` (e.g. TRPOAgent.policy) with PolicySaver plus serving_default; returns the version dir."""
  def write(model_dir, meta_path):
    saver = policy_saver.PolicySaver(tf_policy, batch_size=None, train_step=train_step)
    serving = PolicyServingModule(policy_net, observation_space, action_space, meta_path)
    saver.register_concrete_function("trpo_serving_default", serving.serving_default, assets=serving.metadata)
    saver.signatures["serving_default"] = serving.serving_default.get_concrete_function()
    saver.save(model_dir)
  return write_version(base_dir, metadata, write)
