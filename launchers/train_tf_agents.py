"""Train TRPO inside a standard TF-Agents loop: TFPyEnvironment → DynamicStepDriver →
TFUniformReplayBuffer → TRPOAgent.train, then save with PolicySaver.

  python launchers/train_tf_agents.py --preset=cartpole --total_steps=100000 --run_dir=runs/tfa

Same config flags as launchers/train.py (presets, TRPO, network, num_envs,
steps_per_env, seed). Writes <run_dir>/policy (PolicySaver; loads with
SavedModelPyTFEagerPolicy) and, unless --export=false, a TF-Agents-compatible
SavedModel with serving_default to --export_dir (default exported_models/<run name>/).
Reward normalisation and checkpoint/resume belong to launchers/train.py and are
not part of this loop.
"""

import os
import sys
import time

os.environ["TF_USE_LEGACY_KERAS"] = "1"   # before TensorFlow loads: TF-Agents needs it
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags, logging  # noqa: E402

from trpo_tf.config import ConfigError  # noqa: E402
from trpo_tf.flags_util import config_overrides, define_config_flags  # noqa: E402
from trpo_tf.presets import PRESETS  # noqa: E402

flags.DEFINE_string("preset", "cartpole", f"one of {sorted(PRESETS)}")
flags.DEFINE_string("run_dir", None, "where the PolicySaver model goes (default runs/tfa-<env>-s<seed>-<time>)")
flags.DEFINE_bool("export", True, "also write a TF-Agents-compatible SavedModel with serving_default")
flags.DEFINE_integer("log_every", 5, "iterations between progress lines")
define_config_flags()
FLAGS = flags.FLAGS


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
  logging.set_verbosity(logging.WARNING)
  try:
    from trpo_tf.presets import preset
    from trpo_tf.sampling.envs import make_env
    config = preset(FLAGS.preset).override(**config_overrides())
    make_env(config.sampler.env_id).close()
  except ConfigError as e:
    print(f"error: {e}", file=sys.stderr)
    return 2
  sc, run = config.sampler, config.run
  run_dir = os.path.abspath(FLAGS.run_dir or os.path.join(
      "runs", f"tfa-{sc.env_id.replace('/', '_')}-s{run.seed}-{time.strftime('%Y%m%d-%H%M%S')}"))
  if os.path.exists(os.path.join(run_dir, "policy")):
    print(f"error: {run_dir} already holds a saved policy; choose another --run_dir", file=sys.stderr)
    return 2

  import keras
  import tensorflow as tf
  from tf_agents.drivers import dynamic_step_driver
  from tf_agents.environments import batched_py_environment, tf_py_environment
  from tf_agents.metrics import tf_metrics
  from tf_agents.policies import policy_saver
  from tf_agents.replay_buffers import tf_uniform_replay_buffer
  from tf_agents.utils import common

  from trpo_tf.evaluation import evaluate_policy
  from trpo_tf.networks import build_networks
  from trpo_tf.runtime import configure_tensorflow
  from trpo_tf.tf_agents import GymnasiumEnvironment, TRPOAgent
  from trpo_tf.tf_agents.export import export_tf_agents_policy

  configure_tensorflow(run.intra_op_threads, run.inter_op_threads, run.deterministic_ops)
  keras.utils.set_random_seed(run.seed)
  py_env = batched_py_environment.BatchedPyEnvironment(
      [GymnasiumEnvironment(sc.env_id, seed=run.seed * 100_003 + 1_000 * i) for i in range(sc.num_envs)])
  tf_env = tf_py_environment.TFPyEnvironment(py_env)
  spec_env = make_env(sc.env_id)
  policy_net, value_net = build_networks(spec_env.observation_space, spec_env.action_space, config.network)
  agent = TRPOAgent(tf_env.time_step_spec(), tf_env.action_spec(), policy_net, value_net, config.trpo,
                    train_step_counter=tf.Variable(0, dtype=tf.int64), seed=run.seed)
  agent.initialize()
  # steps_per_env + 1 rows per env: the last row of each only bootstraps (see trpo_tf/tf_agents/agent.py).
  buffer = tf_uniform_replay_buffer.TFUniformReplayBuffer(agent.collect_data_spec, batch_size=sc.num_envs,
                                                          max_length=sc.steps_per_env + 1)
  returns = tf_metrics.AverageReturnMetric(batch_size=sc.num_envs, buffer_size=20)
  driver = dynamic_step_driver.DynamicStepDriver(tf_env, agent.collect_policy, observers=[buffer.add_batch, returns],
                                                 num_steps=sc.num_envs * (sc.steps_per_env + 1))
  collect = common.function(driver.run)
  print(f"run directory: {run_dir}", flush=True)
  steps, start = 0, time.perf_counter()
  while steps < run.total_steps:
    collect()
    loss = agent.train(buffer.gather_all())
    buffer.clear()
    steps += sc.num_envs * (sc.steps_per_env + 1)
    iteration = int(agent.train_step_counter.numpy())
    if iteration % FLAGS.log_every == 0 or steps >= run.total_steps:
      print(f"iteration {iteration}  env steps {steps}  return(avg 20) {float(returns.result()):.1f}  "
            f"kl {float(loss.extra.mean_kl):.4f}  {steps / (time.perf_counter() - start):.0f} steps/s", flush=True)
  policy_dir = os.path.join(run_dir, "policy")
  policy_saver.PolicySaver(agent.policy, batch_size=None, train_step=agent.train_step_counter).save(policy_dir)
  print(f"PolicySaver model: {policy_dir}")
  if FLAGS.export:
    base = run.export_dir or os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                          "exported_models", os.path.basename(run_dir))
    version = export_tf_agents_policy(agent.policy, policy_net, spec_env.observation_space, spec_env.action_space,
                                      base, {"env_id": sc.env_id}, agent.train_step_counter)
    print(f"TF-Agents-compatible SavedModel: {version}")
  if run.eval_episodes:
    ev = evaluate_policy(policy_net, sc.env_id, run.eval_episodes, seed=run.seed + 1_000_000)
    print(f"deterministic evaluation over {len(ev.returns)} episodes: return {ev.mean_return:.1f} ± {ev.std_return:.1f}")
  spec_env.close()
  tf_env.close()
  return 0


if __name__ == "__main__":
  app.run(main)
