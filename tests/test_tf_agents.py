"""TRPOAgent used the way TF-Agents users use PPOClipAgent: TF-Agents networks, a driver, a replay
buffer, `common.function(agent.train)`, Checkpointer, PolicySaver; plus trpo_tf's own networks."""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import ROOT
from trpo_tf.config import ConfigError, NetworkConfig, TRPOConfig
from trpo_tf.evaluation import evaluate_policy, run_episodes
from trpo_tf.networks import build_networks
from trpo_tf.sampling.envs import make_env
from trpo_tf.tf_agents import GymnasiumEnvironment, TRPOAgent, categorical_projection_net
from trpo_tf.tf_agents.export import export_tf_agents_policy
from tf_agents.drivers import dynamic_step_driver
from tf_agents.environments import batched_py_environment, tf_py_environment
from tf_agents.networks import actor_distribution_network, categorical_projection_network, value_network
from tf_agents.policies import policy_saver, py_tf_eager_policy
from tf_agents.replay_buffers import tf_uniform_replay_buffer
from tf_agents.trajectories import time_step as ts
from tf_agents.utils import common

NUM_ENVS, ROWS = 8, 129


def tf_env_for(env_id, seed=0):
  return tf_py_environment.TFPyEnvironment(batched_py_environment.BatchedPyEnvironment(
      [GymnasiumEnvironment(env_id, seed=seed * 1000 + 100 * i) for i in range(NUM_ENVS)]))


def tf_agents_networks(tf_env):
  obs_spec, action_spec = tf_env.observation_spec(), tf_env.action_spec()
  actor = actor_distribution_network.ActorDistributionNetwork(
      obs_spec, action_spec, fc_layer_params=(64, 64), discrete_projection_net=categorical_projection_net)
  return actor, value_network.ValueNetwork(obs_spec, fc_layer_params=(64, 64))


def trpo_tf_networks(env_id):
  env = make_env(env_id)
  try:
    return build_networks(env.observation_space, env.action_space, NetworkConfig())
  finally:
    env.close()


def make_setup(env_id="CartPole-v1", seed=0, networks="tf_agents", compiled=True, counter=None, init_seed=None,
               **agent_kwargs):
  tf.keras.utils.set_random_seed(seed if init_seed is None else init_seed)   # initial weights
  tf_env = tf_env_for(env_id, seed)
  actor, value = tf_agents_networks(tf_env) if networks == "tf_agents" else trpo_tf_networks(env_id)
  # Without a counter TF-Agents uses the process-wide global step, shared by every agent.
  counter = tf.Variable(0, dtype=tf.int64) if counter is None else counter
  agent = TRPOAgent(tf_env.time_step_spec(), tf_env.action_spec(), actor_net=actor, value_net=value,
                    train_step_counter=counter, seed=seed, **dict(dict(value_epochs=10), **agent_kwargs))
  agent.initialize()
  if compiled:
    agent.train = common.function(agent.train)
  buffer = tf_uniform_replay_buffer.TFUniformReplayBuffer(agent.collect_data_spec, batch_size=NUM_ENVS,
                                                          max_length=ROWS)
  driver = dynamic_step_driver.DynamicStepDriver(tf_env, agent.collect_policy, observers=[buffer.add_batch],
                                                 num_steps=NUM_ENVS * ROWS)
  return tf_env, agent, buffer, common.function(driver.run)


def collect_experience(buffer, collect):
  collect()
  experience = buffer.gather_all()
  buffer.clear()
  return experience


def train_iterations(agent, buffer, collect, n):
  return [agent.train(collect_experience(buffer, collect)) for _ in range(n)]


def variables_of(agent):
  return [v.numpy().copy() for v in agent.trpo_policy.variables] + \
      [np.asarray(v).copy() for v in agent._value_function.trainable_variables] + \
      [np.asarray(v).copy() for v in agent.value_optimizer.variables]


def test_compiled_train_solves_cartpole_with_tf_agents_networks():
  tf_env, agent, buffer, collect = make_setup("CartPole-v1", seed=0)
  losses = train_iterations(agent, buffer, collect, 35)   # ~36k env steps
  assert all(0.0 < float(loss.extra.mean_kl) <= 0.01 for loss in losses)
  result = evaluate_policy(agent.trpo_policy, "CartPole-v1", 10, seed=123)
  assert result.mean_return >= 195.0, result    # a random policy scores ~22
  step = tf_env.reset()    # the eval policy is greedy: the argmax of the actor network's logits
  np.testing.assert_array_equal(agent.policy.action(step).action.numpy(),
                                agent.trpo_policy.mode(step.observation).numpy())


def test_compiled_train_improves_pendulum_with_tf_agents_networks():
  _, agent, buffer, collect = make_setup("Pendulum-v1", seed=0, discount_factor=0.9)
  train_iterations(agent, buffer, collect, 45)   # ~46k env steps
  trained = evaluate_policy(agent.trpo_policy, "Pendulum-v1", 10, seed=123).mean_return
  env = make_env("Pendulum-v1")
  rng = np.random.default_rng(0)
  random = run_episodes(env, lambda *_: rng.uniform(-2.0, 2.0, (1,)).astype(np.float32), 10, seed=123).mean_return
  env.close()
  assert random < -900.0 and trained > random + 500.0, (trained, random)


def test_train_step_counter_and_loss_info_with_trpo_tf_networks():
  counter = tf.Variable(5, dtype=tf.int64)
  _, agent, buffer, collect = make_setup(seed=1, networks="trpo_tf", counter=counter)
  assert agent.train_step_counter is counter
  losses = train_iterations(agent, buffer, collect, 3)
  assert int(counter.numpy()) == 8   # exactly one increment per train()
  for loss in losses:
    extra = loss.extra
    assert np.isfinite(float(loss.loss)) and 0.0 <= float(extra.mean_kl) <= 0.01
    assert bool(extra.accepted) and int(extra.line_search_tries) >= 1
    assert float(extra.value_loss_after) < float(extra.value_loss_before)
  assert float(np.asarray(agent.trpo_policy.normalizer.count)) > 0   # the normaliser was updated in train
  assert set(agent.collect_policy.info_spec["dist_params"]) == {"logits"}


@pytest.mark.parametrize("networks", ["tf_agents", "trpo_tf"])
def test_checkpointer_round_trip_continues_exactly(tmp_path, networks):
  env_id = "Pendulum-v1"
  _, agent, buffer, collect = make_setup(env_id, seed=2, networks=networks)
  experiences = [collect_experience(buffer, collect) for _ in range(4)]
  for experience in experiences[:2]:
    agent.train(experience)
  checkpointer = common.Checkpointer(ckpt_dir=str(tmp_path / "ckpt"), max_to_keep=1, agent=agent)
  checkpointer.save(global_step=agent.train_step_counter)
  for experience in experiences[2:]:
    agent.train(experience)
  uninterrupted = variables_of(agent)

  _, resumed, _, _ = make_setup(env_id, seed=2, networks=networks, init_seed=3)   # other initial weights
  assert not all(np.array_equal(a, b) for a, b in zip(variables_of(resumed), uninterrupted))
  common.Checkpointer(ckpt_dir=str(tmp_path / "ckpt"), max_to_keep=1, agent=resumed).initialize_or_restore() \
      .assert_existing_objects_matched()
  assert int(resumed.train_step_counter.numpy()) == 2
  assert int(np.asarray(resumed.value_optimizer.iterations)) == int(np.asarray(agent.value_optimizer.iterations)) // 2
  for experience in experiences[2:]:
    resumed.train(experience)
  after = variables_of(resumed)
  assert len(after) == len(uninterrupted)
  for a, b in zip(after, uninterrupted):
    np.testing.assert_array_equal(a, b)


def _py_actions(policy, step):
  return np.array([policy.action(tf.nest.map_structure(lambda x, i=i: x.numpy()[i], step)).action
                   for i in range(NUM_ENVS)])


@pytest.mark.parametrize("env_id", ["CartPole-v1", "Pendulum-v1"])
def test_policy_saver_round_trip_with_tf_agents_networks(tmp_path, env_id):
  tf_env, agent, buffer, collect = make_setup(env_id, seed=2)
  train_iterations(agent, buffer, collect, 2)
  step = tf_env.reset()
  expected = agent.policy.action(step).action.numpy()

  # Discrete actions are identical; Gaussian means agree to float32 round-off (graph vs eager kernels).
  same = np.testing.assert_array_equal if env_id == "CartPole-v1" else \
      (lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6))
  policy_saver.PolicySaver(agent.policy, batch_size=None).save(str(tmp_path / "saver"))
  loaded = py_tf_eager_policy.SavedModelPyTFEagerPolicy(str(tmp_path / "saver"), load_specs_from_pbtxt=True)
  same(_py_actions(loaded, step), expected)

  env = make_env(env_id)
  version = export_tf_agents_policy(agent.policy, agent.trpo_policy, env.observation_space, env.action_space,
                                    str(tmp_path / "models"), {"env_id": env_id}, agent.train_step_counter)
  env.close()
  assert os.path.basename(version) == "1" and os.path.exists(os.path.join(version, "policy_specs.pbtxt"))
  compatible = py_tf_eager_policy.SavedModelPyTFEagerPolicy(version, load_specs_from_pbtxt=True)
  same(_py_actions(compatible, step), expected)
  raw = tf.saved_model.load(version)
  assert {"action", "get_initial_state", "get_train_step", "get_metadata", "serving_default"} <= set(raw.signatures)
  served = raw.signatures["serving_default"](observations=step.observation)["actions"].numpy()
  same(served, expected if env_id == "CartPole-v1" else np.clip(expected, -2.0, 2.0))   # serving clips to bounds
  assert int(raw.signatures["get_train_step"]()["int64"]) == 2


def test_loss_scores_without_changing_anything():
  _, agent, buffer, collect = make_setup("Pendulum-v1", seed=4)
  train_iterations(agent, buffer, collect, 1)
  experience = collect_experience(buffer, collect)
  before, counter = variables_of(agent), int(agent.train_step_counter.numpy())
  fresh = agent.loss(experience)
  assert abs(float(fresh.extra.mean_kl)) < 1e-6      # scored against the policy that collected it
  for a, b in zip(before, variables_of(agent)):
    np.testing.assert_array_equal(a, b)
  assert int(agent.train_step_counter.numpy()) == counter
  trained = agent.train(experience)
  after = agent.loss(experience)
  # loss() measures the KL of the step train() just took, on the same states.
  np.testing.assert_allclose(float(after.extra.mean_kl), float(trained.extra.mean_kl), rtol=1e-4)
  assert float(after.extra.policy_loss) < float(fresh.extra.policy_loss)   # the surrogate improved
  with pytest.raises(ValueError, match="does not support sample weights"):
    agent.loss(experience, weights=tf.ones([NUM_ENVS]))
  with pytest.raises(ValueError, match="does not support sample weights"):
    agent.train(experience, weights=tf.ones([NUM_ENVS]))


def test_keyword_hyperparameters_and_config():
  tf_env = tf_env_for("CartPole-v1")
  actor, value = tf_agents_networks(tf_env)
  agent = TRPOAgent(tf_env.time_step_spec(), tf_env.action_spec(), actor, value, max_kl=0.02, discount_factor=0.9,
                    gae_lambda=0.8, entropy_regularization=0.01, value_targets="returns", kl_per_action_dim=True,
                    max_kl_hold_fraction=0.3, total_train_iterations=10,
                    config=TRPOConfig(cg_iters=5, max_kl=0.05, max_kl_final_fraction=0.5),
                    train_step_counter=tf.Variable(0, dtype=tf.int64))
  cfg = agent.config
  assert (cfg.max_kl, cfg.gamma, cfg.gae_lambda, cfg.entropy_coef, cfg.cg_iters, cfg.value_targets,
          cfg.kl_per_action_dim, cfg.max_kl_final_fraction, cfg.max_kl_hold_fraction) == (
              0.02, 0.9, 0.8, 0.01, 5, "returns", True, 0.5, 0.3)
  with pytest.raises(ConfigError, match="max_kl must be > 0"):
    TRPOAgent(tf_env.time_step_spec(), tf_env.action_spec(), actor, value, max_kl=-1.0)


def test_an_annealed_delta_runs_over_total_train_iterations():
  """δ 0.04 annealed to a quarter over 4 compiled train() calls: each call's KL stays within δ of its count."""
  with pytest.raises(ValueError, match="pass total_train_iterations"):
    make_setup(max_kl=0.04, max_kl_final_fraction=0.25)
  _, agent, buffer, collect = make_setup(max_kl=0.04, max_kl_final_fraction=0.25, total_train_iterations=4)
  kls = [float(loss.extra.mean_kl) for loss in train_iterations(agent, buffer, collect, 4)]
  deltas = [0.04 * (1 - 0.75 * i / 4) for i in range(4)]
  assert all(0 < kl <= d * (1 + 1e-4) for kl, d in zip(kls, deltas)), (kls, deltas)
  assert float(agent._learner.updater._max_kl_scale.numpy()) == pytest.approx(1 - 0.75 * 3 / 4)


def test_debug_summaries_are_written(tmp_path):
  _, agent, buffer, collect = make_setup("CartPole-v1", seed=5, debug_summaries=True, summarize_grads_and_vars=True)
  writer = tf.summary.create_file_writer(str(tmp_path))
  with writer.as_default():
    train_iterations(agent, buffer, collect, 1)
  writer.flush()
  tags = set()
  for name in os.listdir(tmp_path):
    for event in tf.compat.v1.train.summary_iterator(str(tmp_path / name)):
      tags.update(v.tag for v in event.summary.value)
  assert {"TRPO/mean_kl", "TRPO/value_loss_after_fit", "TRPO_variables/surrogate_gradient_norm"} <= tags, tags
  assert any(t.startswith("TRPO_variables/") and "kernel" in t for t in tags), tags


def test_construction_errors_are_one_clear_message():
  cartpole, pendulum = tf_env_for("CartPole-v1"), tf_env_for("Pendulum-v1")
  c_actor, c_value = tf_agents_networks(cartpole)
  p_actor, _ = tf_agents_networks(pendulum)
  spec = lambda env: (env.time_step_spec(), env.action_spec())
  with pytest.raises(ValueError, match=r"actor_net takes observations \(3,\) float32 but the environment's "
                                       r"observation spec is \(4,\) float32"):
    TRPOAgent(*spec(cartpole), p_actor, c_value)
  with pytest.raises(ValueError, match=r"value_net takes observations \(4,\) float32 but the environment's"):
    TRPOAgent(*spec(pendulum), p_actor, c_value)
  p_policy, _ = trpo_tf_networks("Pendulum-v1")
  with pytest.raises(ValueError, match=r"actor_net was built for observations of shape \(3,\)"):
    TRPOAgent(*spec(cartpole), p_policy, c_value)
  with pytest.raises(ValueError, match="actor_net is a Gaussian policy but the environment's actions are discrete"):
    TRPOAgent(*spec(cartpole), _policy_for(4, "Pendulum-v1"), c_value)
  with pytest.raises(TypeError, match="actor_net must be a TF-Agents ActorDistributionNetwork or a trpo_tf policy"):
    TRPOAgent(*spec(cartpole), object(), c_value)
  # TF-Agents 0.19's own categorical projection cannot be built under numpy 2; ours can.
  with pytest.raises(TypeError, match="only 0-dimensional arrays"):
    categorical_projection_network.CategoricalProjectionNetwork(cartpole.action_spec())
  assert categorical_projection_net(cartpole.action_spec()) is not None


def _policy_for(obs_dim, env_id):
  """A trpo_tf policy for `env_id`'s actions but `obs_dim`-dimensional observations."""
  import gymnasium as gym
  env = make_env(env_id)
  try:
    policy, _ = build_networks(gym.spaces.Box(-1, 1, (obs_dim,), np.float32), env.action_space, NetworkConfig())
  finally:
    env.close()
  return policy


def test_adapter_maps_termination_and_truncation():
  env = GymnasiumEnvironment("Pendulum-v1", seed=0)   # never terminates, truncates at 200 steps
  step = env.reset()
  for _ in range(200):
    step = env.step(np.zeros(1, np.float32))
  assert step.step_type == ts.StepType.LAST and step.discount == 1.0
  assert env.step(np.zeros(1, np.float32)).step_type == ts.StepType.FIRST   # auto-reset
  env = GymnasiumEnvironment("CartPole-v1", seed=0)
  env.reset()
  step = env.step(np.int32(1))
  while not step.is_last():
    step = env.step(np.int32(1))   # always pushing right falls over: termination
  assert step.discount == 0.0


@pytest.mark.parametrize("env_extra, message", [
    ({"TF_USE_LEGACY_KERAS": "0"}, "TF_USE_LEGACY_KERAS"),
    ({"HIDE_TF_AGENTS": "1"}, "needs TF-Agents 0.19"),
])
def test_import_without_the_extra_fails_clearly(env_extra, message):
  code = ("import os, sys\n"
          "if os.environ.get('HIDE_TF_AGENTS'): sys.modules['tf_agents'] = None\n"
          "import trpo_tf.tf_agents\n")
  env = dict(os.environ, **env_extra)
  proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
  assert proc.returncode != 0
  last = proc.stderr.strip().splitlines()[-1]
  assert last.startswith("ImportError: trpo_tf.tf_agents needs TF-Agents 0.19") and message in last


@pytest.mark.parametrize("networks", ["tf_agents", "trpo_tf"])
def test_tf_agents_launcher(tmp_path, networks):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
  proc = subprocess.run([sys.executable, os.path.join(ROOT, "launchers", "train_tf_agents.py"), "--preset=cartpole",
                         "--total_steps=3000", "--eval_episodes=1", f"--networks={networks}",
                         f"--run_dir={tmp_path / 'run'}", f"--export_dir={tmp_path / 'models'}"],
                        capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
  assert proc.returncode == 0, proc.stderr[-2000:]
  assert os.path.exists(tmp_path / "run" / "policy" / "policy_specs.pbtxt")
  assert os.listdir(tmp_path / "models") == ["1"] and "deterministic evaluation" in proc.stdout
  assert "compiled train" in proc.stdout

