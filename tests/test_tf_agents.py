"""TRPOAgent in TF-Agents pipelines: learning, train_step_counter, PolicySaver, our compatible export."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import ROOT
from trpo_tf.config import NetworkConfig, TRPOConfig
from trpo_tf.networks import build_networks
from trpo_tf.sampling.envs import make_env
from trpo_tf.tf_agents import GymnasiumEnvironment, TRPOAgent
from trpo_tf.tf_agents.export import export_tf_agents_policy
from tf_agents.drivers import dynamic_step_driver  # noqa: E402  (after trpo_tf.tf_agents' checks)
from tf_agents.environments import batched_py_environment, tf_py_environment
from tf_agents.policies import policy_saver, py_tf_eager_policy
from tf_agents.replay_buffers import tf_uniform_replay_buffer
from tf_agents.trajectories import time_step as ts
from tf_agents.utils import common

NUM_ENVS, ROWS = 8, 129


def make_setup(env_id="CartPole-v1", seed=0, counter=None):
  keras.utils.set_random_seed(seed)
  tf_env = tf_py_environment.TFPyEnvironment(batched_py_environment.BatchedPyEnvironment(
      [GymnasiumEnvironment(env_id, seed=seed * 1000 + 100 * i) for i in range(NUM_ENVS)]))
  spec_env = make_env(env_id)
  policy_net, value_net = build_networks(spec_env.observation_space, spec_env.action_space, NetworkConfig())
  # Without a counter TF-Agents uses the process-wide global step, shared by every agent.
  counter = tf.Variable(0, dtype=tf.int64) if counter is None else counter
  agent = TRPOAgent(tf_env.time_step_spec(), tf_env.action_spec(), policy_net, value_net,
                    TRPOConfig(value_epochs=10), train_step_counter=counter, seed=seed)
  agent.initialize()
  buffer = tf_uniform_replay_buffer.TFUniformReplayBuffer(agent.collect_data_spec, batch_size=NUM_ENVS,
                                                          max_length=ROWS)
  driver = dynamic_step_driver.DynamicStepDriver(tf_env, agent.collect_policy, observers=[buffer.add_batch],
                                                 num_steps=NUM_ENVS * ROWS)
  return tf_env, spec_env, agent, buffer, common.function(driver.run)


def train_iterations(agent, buffer, collect, n):
  losses = []
  for _ in range(n):
    collect()
    losses.append(agent.train(buffer.gather_all()))
    buffer.clear()
  return losses


def test_driver_replay_buffer_loop_solves_cartpole():
  tf_env, spec_env, agent, buffer, collect = make_setup(seed=0)
  train_iterations(agent, buffer, collect, 35)   # ~36k env steps
  from trpo_tf.evaluation import evaluate_policy
  result = evaluate_policy(agent._policy_net, "CartPole-v1", 10, seed=123)
  assert result.mean_return >= 195.0, result
  # The eval policy is greedy: it agrees with the deterministic mode of the network.
  step = tf_env.reset()
  np.testing.assert_array_equal(agent.policy.action(step).action.numpy(),
                                agent._policy_net.mode(step.observation).numpy())


def test_train_step_counter_and_loss_info():
  counter = tf.Variable(5, dtype=tf.int64)
  _, _, agent, buffer, collect = make_setup(seed=1, counter=counter)
  assert agent.train_step_counter is counter
  losses = train_iterations(agent, buffer, collect, 3)
  assert int(counter.numpy()) == 8   # exactly one increment per train()
  for loss in losses:
    extra = loss.extra
    assert np.isfinite(float(loss.loss)) and 0.0 <= float(extra.mean_kl) <= 0.01
    assert bool(extra.accepted) and int(extra.line_search_tries) >= 1
    assert float(extra.value_loss_after) < float(extra.value_loss_before)
  assert "value" in agent.collect_policy.info_spec and "logits" in agent.collect_policy.info_spec["dist_params"]


def _py_actions(policy, step):
  return np.array([policy.action(tf.nest.map_structure(lambda x: x.numpy()[i], step)).action
                   for i in range(NUM_ENVS)])


def test_policy_saver_round_trip_and_compatible_export(tmp_path):
  tf_env, spec_env, agent, buffer, collect = make_setup(seed=2)
  train_iterations(agent, buffer, collect, 2)
  step = tf_env.reset()
  expected = agent.policy.action(step).action.numpy()

  policy_saver.PolicySaver(agent.policy, batch_size=None).save(str(tmp_path / "saver"))
  loaded = py_tf_eager_policy.SavedModelPyTFEagerPolicy(str(tmp_path / "saver"), load_specs_from_pbtxt=True)
  np.testing.assert_array_equal(_py_actions(loaded, step), expected)

  version = export_tf_agents_policy(agent.policy, agent._policy_net, spec_env.observation_space,
                                    spec_env.action_space, str(tmp_path / "models"), {"env_id": "CartPole-v1"},
                                    agent.train_step_counter)
  assert os.path.basename(version) == "1" and os.path.exists(os.path.join(version, "policy_specs.pbtxt"))
  compatible = py_tf_eager_policy.SavedModelPyTFEagerPolicy(version, load_specs_from_pbtxt=True)
  np.testing.assert_array_equal(_py_actions(compatible, step), expected)
  raw = tf.saved_model.load(version)
  assert {"action", "get_initial_state", "get_train_step", "get_metadata", "serving_default"} <= set(raw.signatures)
  np.testing.assert_array_equal(raw.signatures["serving_default"](observations=step.observation)["actions"].numpy(),
                                expected)
  assert int(raw.signatures["get_train_step"]()["int64"]) == 2


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


def test_tf_agents_launcher(tmp_path):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
  proc = subprocess.run([sys.executable, os.path.join(ROOT, "launchers", "train_tf_agents.py"), "--preset=cartpole",
                         "--total_steps=3000", "--eval_episodes=1", f"--run_dir={tmp_path / 'run'}",
                         f"--export_dir={tmp_path / 'models'}"], capture_output=True, text=True, env=env,
                        cwd=ROOT, timeout=300)
  assert proc.returncode == 0, proc.stderr[-2000:]
  assert os.path.exists(tmp_path / "run" / "policy" / "policy_specs.pbtxt")
  assert os.listdir(tmp_path / "models") == ["1"] and "deterministic evaluation" in proc.stdout
