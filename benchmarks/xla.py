"""XLA (jit_compile=True) for the compiled TRPO step and the value fit, on this CPU.

  python benchmarks/xla.py [--presets hopper,halfcheetah] [--repeats 10]

For each preset: a 2,048-step batch of real observations, then the median time of
the TRPO step (both FVP modes) and of one value fit, each traced as a plain
tf.function and with jit_compile=True, the time of the first (compiling) call,
and how far the XLA step and fit land from the plain ones (relative L2 of the
parameter change). XLA compiles per input shape: single-path batches keep only
the valid rows, whose number changes from iteration to iteration, so using XLA in
training needs fixed-size (padded, masked) batches; this measures what it would buy.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf
from fvp import median_seconds, observations

from trpo_tf import flat
from trpo_tf.fisher import raw_variables
from trpo_tf.networks import build_networks
from trpo_tf.presets import preset
from trpo_tf.runtime import configure_tensorflow
from trpo_tf.sampling.envs import make_env
from trpo_tf.trpo_step import TRPOUpdater
from trpo_tf.value_fit import ValueFitter


def timed(fn, repeats):
  start = time.perf_counter()
  fn()
  first = time.perf_counter() - start
  return first, median_seconds(fn, repeats)


def compare(label: str, variables, make_fn, call, repeats: int):
  """Plain and XLA rows for one compiled function; `call(fn)` runs it from the same start."""
  start = flat.get_flat(variables)
  rows, changes = [], {}
  for jit in (False, True):
    fn = make_fn(jit)

    def run(fn=fn):
      flat.set_flat(variables, start)
      return call(fn)
    try:
      first, median = timed(run, repeats)
      changes[jit] = (flat.get_flat(variables) - start).numpy()
      rows.append(dict(what=label, xla=jit, first=first, median=median, note=""))
    except (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError, ValueError) as e:
      rows.append(dict(what=label, xla=jit, first=float("nan"), median=float("nan"),
                       note=f"fails: {str(e).splitlines()[0][:80]}"))
  flat.set_flat(variables, start)
  if len(changes) == 2:
    rows[1]["note"] = f"{np.linalg.norm(changes[True] - changes[False]) / np.linalg.norm(changes[False]):.1e}"
  return rows


def measure(name: str, repeats: int):
  config = preset(name)
  env = make_env(config.sampler.env_id)
  policy, value = build_networks(env.observation_space, env.action_space, config.network)
  env.close()
  batch = 2048
  obs = tf.constant(observations(config.sampler.env_id, batch))
  actions = policy.sample(obs, tf.constant([0, 1]))
  advantages = tf.constant(np.random.default_rng(0).standard_normal(batch), tf.float32)
  returns = tf.constant(np.random.default_rng(1).standard_normal(batch), tf.float32)
  rows = []
  for mode in ("forward_over_backward", "analytic"):
    trpo = config.trpo.__class__(**dict(config.trpo.__dict__, fvp_mode=mode))
    rows += compare(f"TRPO step ({mode})", raw_variables(policy),
                    lambda jit, trpo=trpo: tf.function(TRPOUpdater(policy, trpo)._single_path_impl, jit_compile=jit),
                    lambda fn: fn(obs, actions, advantages, tf.constant(0)).status.numpy(), repeats)
  tc = config.trpo
  rows += compare("value fit", raw_variables(value),
                  lambda jit: tf.function(ValueFitter(value, tc.value_learning_rate, tc.value_epochs,
                                                      tc.value_minibatch)._fit_impl, jit_compile=jit),
                  lambda fn: fn(obs, returns, tf.constant(0)).loss_after.numpy(), repeats)
  return [dict(row, preset=name) for row in rows]


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--presets", default="hopper,halfcheetah")
  parser.add_argument("--repeats", type=int, default=10)
  args = parser.parse_args()
  configure_tensorflow(1, 1, False)   # XLA's CPU kernels are not covered by op determinism
  print("| preset | what | XLA | first call (s) | median per call (ms) | relative difference from plain |")
  print("|---|---|---|---:|---:|---|")
  for name in args.presets.split(","):
    for r in measure(name, args.repeats):
      print(f"| {r['preset']} | {r['what']} | {'yes' if r['xla'] else 'no'} | {r['first']:.1f} | "
            f"{1000 * r['median']:.1f} | {r['note']} |", flush=True)


if __name__ == "__main__":
  main()
