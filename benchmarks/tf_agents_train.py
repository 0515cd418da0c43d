"""TRPOAgent.train eager vs compiled (common.function), measured in one run.

  python benchmarks/tf_agents_train.py [--envs CartPole-v1,Pendulum-v1] [--iterations 20] [--csv out.csv]

For each env, a standard TF-Agents loop (TFPyEnvironment over 8 GymnasiumEnvironments
→ DynamicStepDriver → TFUniformReplayBuffer → agent.train) with TF-Agents networks
runs the same seeded iterations twice: train() eager, then compiled. Reported:
milliseconds per train() call (after one warm-up call that pays for tracing) and
end-to-end env steps/s (collection included; the driver is compiled in both).
"""

import argparse
import os
import sys
import time

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tensorflow as tf
from tf_agents.drivers import dynamic_step_driver
from tf_agents.environments import batched_py_environment, tf_py_environment
from tf_agents.networks import actor_distribution_network, value_network
from tf_agents.replay_buffers import tf_uniform_replay_buffer
from tf_agents.utils import common

from suite import write_rows

from trpo_tf.runtime import configure_tensorflow
from trpo_tf.tf_agents import GymnasiumEnvironment, TRPOAgent, categorical_projection_net

NUM_ENVS, ROWS = 8, 129


def measure(env_id: str, iterations: int, compiled: bool) -> dict:
  tf.keras.utils.set_random_seed(0)
  tf_env = tf_py_environment.TFPyEnvironment(batched_py_environment.BatchedPyEnvironment(
      [GymnasiumEnvironment(env_id, seed=100 * i) for i in range(NUM_ENVS)]))
  obs_spec, action_spec = tf_env.observation_spec(), tf_env.action_spec()
  actor = actor_distribution_network.ActorDistributionNetwork(
      obs_spec, action_spec, fc_layer_params=(64, 64), discrete_projection_net=categorical_projection_net)
  value = value_network.ValueNetwork(obs_spec, fc_layer_params=(64, 64))
  agent = TRPOAgent(tf_env.time_step_spec(), action_spec, actor, value,
                    train_step_counter=tf.Variable(0, dtype=tf.int64))
  agent.initialize()
  train = common.function(agent.train) if compiled else agent.train
  buffer = tf_uniform_replay_buffer.TFUniformReplayBuffer(agent.collect_data_spec, batch_size=NUM_ENVS,
                                                          max_length=ROWS)
  collect = common.function(dynamic_step_driver.DynamicStepDriver(
      tf_env, agent.collect_policy, observers=[buffer.add_batch], num_steps=NUM_ENVS * ROWS).run)

  def iteration():
    t0 = time.perf_counter()
    collect()
    t1 = time.perf_counter()
    train(buffer.gather_all())
    buffer.clear()
    return t1 - t0, time.perf_counter() - t1

  iteration()   # warm-up: traces collect and (compiled) train
  collect_s = train_s = 0.0
  for _ in range(iterations):
    c, t = iteration()
    collect_s, train_s = collect_s + c, train_s + t
  tf_env.close()
  return dict(env_id=env_id, mode="compiled" if compiled else "eager", iterations=iterations,
              train_ms=1000 * train_s / iterations,
              steps_per_second=iterations * NUM_ENVS * ROWS / (collect_s + train_s))


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--envs", default="CartPole-v1,Pendulum-v1")
  parser.add_argument("--iterations", type=int, default=20)
  parser.add_argument("--csv", default=None)
  args = parser.parse_args()
  configure_tensorflow(1, 1, True)   # the launchers' settings
  rows = []
  for env_id in args.envs.split(","):
    for compiled in (False, True):
      rows.append(measure(env_id, args.iterations, compiled))
      print(f"{env_id:14s} {rows[-1]['mode']:9s} train {rows[-1]['train_ms']:7.1f} ms/iteration  "
            f"{rows[-1]['steps_per_second']:7.0f} env steps/s", flush=True)
  print("\n| env | train() eager | train() compiled | speed-up | env steps/s eager | compiled |\n|---|---:|---:|---:|---:|---:|")
  for eager, compiled in zip(rows[::2], rows[1::2]):
    print(f"| {eager['env_id']} | {eager['train_ms']:.0f} ms | {compiled['train_ms']:.0f} ms | "
          f"{eager['train_ms'] / compiled['train_ms']:.2f}× | {eager['steps_per_second']:.0f} | "
          f"{compiled['steps_per_second']:.0f} |")
  if args.csv:
    write_rows(rows, args.csv)


if __name__ == "__main__":
  main()
