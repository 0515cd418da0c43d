"""Train TRPO inside a standard TF-Agents loop: TFPyEnvironment → DynamicStepDriver →
TFUniformReplayBuffer → TRPOAgent.train (compiled with common.function), then save with PolicySaver.

  python launchers/train_tf_agents.py --preset=cartpole --total_steps=100000 --run_dir=runs/tfa
  python launchers/train_tf_agents.py --preset=pendulum --networks=trpo_tf

--networks=tf_agents (default) builds TF-Agents' ActorDistributionNetwork and
ValueNetwork, as a PPOClipAgent user would; --networks=trpo_tf uses trpo_tf's
Keras networks (with their observation normaliser). Same preset and config flags
as launchers/train.py for what this loop does (TRPO, network sizes, num_envs,
steps_per_env, seed); flags for what it does not (vine, reward normalisation,
checkpoints, ...) are rejected by name. Writes <run_dir>/policy (PolicySaver;
loads with SavedModelPyTFEagerPolicy) and, unless --export=false, a
TF-Agents-compatible SavedModel with serving_default to --export_dir
(default exported_models/<run name>/).
"""

import os
import sys
import time
import warnings

os.environ["TF_USE_LEGACY_KERAS"] = "1"   # before TensorFlow loads: TF-Agents needs it
if not __package__:   # run as a script (python launchers/X.py, bazel run): import as the launchers package
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
  __package__ = "launchers"

from . import preflight

preflight.enter_invocation_directory()

preflight.quiet_tensorflow()

from absl import flags, logging  # noqa: E402

from .flags_util import config_overrides, define_config_flags  # noqa: E402
from trpo_tf.config import ConfigError  # noqa: E402
from trpo_tf.presets import PRESETS  # noqa: E402

flags.DEFINE_string("preset", None, f"one of {sorted(PRESETS)}; default cartpole, or with --env_id that env's own "
                    "preset if it has one, else the settings the MuJoCo or Atari presets share (plain defaults "
                    "for other envs)")
flags.DEFINE_string("run_dir", None, "where the PolicySaver model goes (default runs/tfa-<env>-s<seed>-<time>)")
flags.DEFINE_enum("networks", "tf_agents", ["tf_agents", "trpo_tf"],
                  "tf_agents: ActorDistributionNetwork + ValueNetwork; trpo_tf: trpo_tf.networks (with the "
                  "observation normaliser)")
flags.DEFINE_bool("compile_train", True, "wrap agent.train in common.function (the TF-Agents convention)")
flags.DEFINE_bool("export", True, "also write a TF-Agents-compatible SavedModel with serving_default")
flags.DEFINE_integer("log_every", 5, "iterations between progress lines")
define_config_flags()
FLAGS = flags.FLAGS

# Config fields this loop has no use for: given explicitly, they are an error, not silently ignored.
UNSUPPORTED = ("sampler", "vector_mode", "act_backend", "normalize_rewards", "reward_clip", "terminal_on_life_loss",
               "fire_reset", "vine_states", "vine_actions", "vine_rollout_length", "vine_bootstrap",
               "checkpoint_every", "keep_checkpoints", "export_every", "sampler_backend", "num_workers", "ray_address",
               "steps_per_env_final")
TRPO_TF_NETWORKS_ONLY = ("normalize_observations", "obs_clip", "obs_dims", "log_std_init", "state_dependent_std",
                         "cnn")


def build_config():
  from trpo_tf import presets
  overrides = config_overrides()
  preflight.reject_flags(overrides, UNSUPPORTED, "the TF-Agents loop samples single paths with TF-Agents' driver "
                         "and saves with PolicySaver; use launchers/train.py for them")
  if FLAGS.networks == "tf_agents":
    preflight.reject_flags(overrides, TRPO_TF_NETWORKS_ONLY, "they configure trpo_tf's networks; add "
                           "--networks=trpo_tf")
  config, _ = presets.resolve(FLAGS.preset, overrides.get("env_id"), default="cartpole")
  config = config.override(**overrides)
  if config.sampler.sampler != "single_path":
    raise ConfigError(f"preset {FLAGS.preset!r} uses {config.sampler.sampler} sampling, which the TF-Agents loop "
                      "does not do; use launchers/train.py")
  return config


def tf_agents_networks(tf_env, network_config):
  import tensorflow as tf
  from tf_agents.networks import actor_distribution_network, value_network

  from trpo_tf.tf_agents import categorical_projection_net
  activation = getattr(tf.keras.activations, network_config.activation)
  actor = actor_distribution_network.ActorDistributionNetwork(
      tf_env.observation_spec(), tf_env.action_spec(), fc_layer_params=network_config.policy_hidden,
      activation_fn=activation, discrete_projection_net=categorical_projection_net)
  value = value_network.ValueNetwork(tf_env.observation_spec(), fc_layer_params=network_config.value_hidden,
                                     activation_fn=activation)
  return actor, value


def main(argv):
  del argv   # the program name only: preflight.run_app rejects positional arguments
  logging.set_verbosity(logging.ERROR)   # TF-Agents' tracing warnings are not the user's business
  warnings.filterwarnings("ignore", message="Encoding a StructuredValue")   # PolicySaver's TFP type notes
  try:
    config = build_config()
    if FLAGS.print_config:
      return preflight.print_config(config)
    preflight.check_environment(config)
  except ConfigError as e:
    return preflight.fail(e)
  sc, run = config.sampler, config.run
  run_dir = os.path.abspath(FLAGS.run_dir or preflight.default_run_dir(config, prefix="tfa-"))
  try:
    preflight.check_writable_dir(run_dir, "--run_dir")
  except ConfigError as e:
    return preflight.fail(e)
  if os.path.exists(os.path.join(run_dir, "policy")):
    return preflight.fail(ConfigError(f"{run_dir} already holds a saved policy; choose another --run_dir"))

  preflight.load_tensorflow()
  import keras
  import tensorflow as tf
  from tf_agents.drivers import dynamic_step_driver
  from tf_agents.environments import batched_py_environment, tf_py_environment
  from tf_agents.metrics import tf_metrics
  from tf_agents.policies import policy_saver
  from tf_agents.replay_buffers import tf_uniform_replay_buffer
  from tf_agents.utils import common

  from trpo_tf.config import EVAL_SEED_OFFSET
  from trpo_tf.evaluation import evaluate_policy
  from trpo_tf.networks import build_networks
  from trpo_tf.runtime import configure_tensorflow
  from trpo_tf.sampling.envs import make_env
  from trpo_tf.tf_agents import GymnasiumEnvironment, TRPOAgent
  from trpo_tf.tf_agents.export import export_tf_agents_policy

  configure_tensorflow(run.intra_op_threads, run.inter_op_threads, run.deterministic_ops)
  keras.utils.set_random_seed(run.seed)
  py_env = batched_py_environment.BatchedPyEnvironment(
      [GymnasiumEnvironment(sc.env_id, seed=run.seed * 100_003 + 1_000 * i) for i in range(sc.num_envs)])
  tf_env = tf_py_environment.TFPyEnvironment(py_env)
  spec_env = make_env(sc.env_id)
  if FLAGS.networks == "tf_agents":
    actor_net, value_net = tf_agents_networks(tf_env, config.network)
  else:
    actor_net, value_net = build_networks(spec_env.observation_space, spec_env.action_space, config.network)
  # steps_per_env + 1 rows per env: the last row of each only bootstraps (see trpo_tf/tf_agents/agent.py).
  rows = sc.steps_per_env + 1
  agent = TRPOAgent(tf_env.time_step_spec(), tf_env.action_spec(), actor_net=actor_net, value_net=value_net,
                    config=config.trpo, train_step_counter=tf.Variable(0, dtype=tf.int64), seed=run.seed,
                    total_train_iterations=-(-run.total_steps // (sc.num_envs * rows)))
  agent.initialize()
  if FLAGS.compile_train:
    agent.train = common.function(agent.train)
  buffer = tf_uniform_replay_buffer.TFUniformReplayBuffer(agent.collect_data_spec, batch_size=sc.num_envs,
                                                          max_length=rows)
  returns = tf_metrics.AverageReturnMetric(batch_size=sc.num_envs, buffer_size=20)
  driver = dynamic_step_driver.DynamicStepDriver(tf_env, agent.collect_policy, observers=[buffer.add_batch, returns],
                                                 num_steps=sc.num_envs * rows)
  collect = common.function(driver.run)
  print(f"run directory: {run_dir}", flush=True)
  print(f"{FLAGS.networks} networks, {'compiled train (common.function)' if FLAGS.compile_train else 'eager train'}",
        flush=True)
  if sc.normalize_rewards:
    print("note: the preset's reward normalisation is a feature of launchers/train.py; this loop trains on the "
          "environment's rewards", flush=True)
  if sc.batch_scheduled:
    print(f"note: the preset's growing batch (steps_per_env {sc.steps_per_env} → {sc.steps_per_env_final}) is a "
          f"feature of launchers/train.py; this loop collects {sc.steps_per_env} steps per env throughout",
          flush=True)
  steps, start, train_seconds = 0, time.perf_counter(), 0.0
  while steps < run.total_steps:
    collect()
    t0 = time.perf_counter()
    loss = agent.train(buffer.gather_all())
    train_seconds += time.perf_counter() - t0
    buffer.clear()
    steps += sc.num_envs * rows
    iteration = int(agent.train_step_counter.numpy())
    if iteration % FLAGS.log_every == 0 or steps >= run.total_steps:
      print(f"iteration {iteration}  env steps {steps}  return(avg 20) {float(returns.result()):.1f}  "
            f"kl {float(loss.extra.mean_kl):.4f}  {steps / (time.perf_counter() - start):.0f} steps/s  "
            f"train {1000 * train_seconds / iteration:.0f} ms/iteration", flush=True)
  policy_dir = os.path.join(run_dir, "policy")
  policy_saver.PolicySaver(agent.policy, batch_size=None, train_step=agent.train_step_counter).save(policy_dir)
  print(f"PolicySaver model: {policy_dir}")
  if FLAGS.export:
    base = run.export_dir or preflight.default_export_dir(run_dir)
    version = export_tf_agents_policy(agent.policy, agent.trpo_policy, spec_env.observation_space,
                                      spec_env.action_space, base, {"env_id": sc.env_id}, agent.train_step_counter)
    print(f"TF-Agents-compatible SavedModel: {version}")
  if run.eval_episodes:
    ev = evaluate_policy(agent.trpo_policy, sc.env_id, run.eval_episodes, seed=run.seed + EVAL_SEED_OFFSET)
    print(f"deterministic evaluation over {len(ev.returns)} episodes: return {ev.mean_return:.1f} ± {ev.std_return:.1f}")
  spec_env.close()
  tf_env.close()
  return 0


def run():
  """Console-script entry point (setup.py)."""
  preflight.run_app(main)


if __name__ == "__main__":
  run()
