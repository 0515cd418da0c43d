"""Served-signature throughput of an exported policy (observations/s) at batch 1, 64 and 4096.

  python benchmarks/serving_throughput.py [--model_dir=exported_models/<run>/<version>]

Without --model_dir, exports a Hopper-shaped default policy to a temporary directory.
Measures the `serving_default` signature through tf.saved_model.load (TF2) and
through the TF1 session loader (the path TF Serving takes), and `sample` with one
seed per row through the session loader (rows are drawn one at a time), in one run.
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf


def rate(call, batch: int, seconds: float) -> float:
  call()
  n, start = 0, time.perf_counter()
  while time.perf_counter() - start < seconds:
    call()
    n += batch
  return n / (time.perf_counter() - start)


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--model_dir", default=None)
  parser.add_argument("--seconds", type=float, default=3.0)
  args = parser.parse_args()
  model_dir = args.model_dir
  if model_dir is None:
    import gymnasium as gym
    from trpo_tf.config import NetworkConfig
    from trpo_tf.export import export_policy
    from trpo_tf.networks import build_networks
    obs_space = gym.spaces.Box(-np.inf, np.inf, (11,), np.float32)
    act_space = gym.spaces.Box(-1, 1, (3,), np.float32)
    policy, _ = build_networks(obs_space, act_space, NetworkConfig())
    model_dir = export_policy(policy, obs_space, act_space, tempfile.mkdtemp(), {"env_id": "Hopper-v5"})
  serve = tf.saved_model.load(model_dir).signatures["serving_default"]
  spec = serve.structured_input_signature[1]["observations"]
  shape = tuple(spec.shape[1:])
  print(f"model {model_dir}, observations {shape} {spec.dtype.name}")
  batches = (1, 64, 4096)
  inputs = {b: np.random.default_rng(0).standard_normal((b,) + shape).astype(spec.dtype.as_numpy_dtype)
            for b in batches}
  seeds = {b: np.arange(b, dtype=np.int64) for b in batches}
  tf2 = {b: rate(lambda b=b: serve(observations=tf.constant(inputs[b])), b, args.seconds) for b in batches}
  with tf.compat.v1.Session(graph=tf.Graph()) as sess:   # makes its graph the default: TF1 last
    meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], model_dir)
    sig = meta.signature_def["serving_default"]
    fetch, feed = sig.outputs["actions"].name, sig.inputs["observations"].name
    tf1 = {b: rate(lambda b=b: sess.run(fetch, {feed: inputs[b]}), b, args.seconds) for b in batches}
    sig = meta.signature_def["sample"]
    fetch, feed, seed = sig.outputs["actions"].name, sig.inputs["observations"].name, sig.inputs["seed"].name
    sample = {b: rate(lambda b=b: sess.run(fetch, {feed: inputs[b], seed: seeds[b]}), b, args.seconds)
              for b in batches}
  print(f"{'batch':>6} {'TF2 obs/s':>14} {'TF1 session obs/s':>18} {'TF1 sample obs/s':>17}")
  for b in batches:
    print(f"{b:>6} {tf2[b]:>14,.0f} {tf1[b]:>18,.0f} {sample[b]:>17,.0f}")


if __name__ == "__main__":
  main()
