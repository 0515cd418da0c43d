"""Training throughput vs raw simulator stepping, measured in one run.

  python benchmarks/throughput.py [--preset hopper] [--steps 200000]

Prints (1) the raw random-action stepping rate of the exact vector-env setup the
trainer uses (same env id, number of envs, vectorisation mode), (2) end-to-end
training env-steps/s (sampling + updates, after a warm-up iteration that pays
for tf.function tracing) with the sampling/update split, and (3) their ratio.
Target (issue 2): ratio >= 0.75 on Hopper-v5 with the default config.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


from trpo_tf.presets import preset  # noqa: E402
from trpo_tf.sampling.envs import make_vector_env  # noqa: E402
from trpo_tf.trainer import Trainer  # noqa: E402


def raw_stepping_rate(env_id: str, num_envs: int, mode: str, seconds: float, seed: int = 0) -> float:
  env = make_vector_env(env_id, num_envs, mode)
  env.reset(seed=seed)
  env.action_space.seed(seed)
  steps, start = 0, time.perf_counter()
  while time.perf_counter() - start < seconds:
    env.step(env.action_space.sample())
    steps += num_envs
  rate = steps / (time.perf_counter() - start)
  env.close()
  return rate


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--preset", default="hopper")
  parser.add_argument("--steps", type=int, default=200_000, help="measured training steps")
  parser.add_argument("--raw_seconds", type=float, default=20.0)
  args = parser.parse_args()
  base = preset(args.preset)
  sc = base.sampler
  run_dir = tempfile.mkdtemp(prefix="trpo_throughput_")
  try:
    # Warm-up run directory: trace every compiled function once.
    warm = base.override(total_steps=sc.batch_size, eval_episodes=0)
    trainer = Trainer(warm, os.path.join(run_dir, "a"), show_progress=False)
    trainer.train()
    # Measured: continue the same trainer (compiled functions stay traced).
    trainer.config = base.override(total_steps=sc.batch_size + args.steps, eval_episodes=0,
                                   checkpoint_every=10 ** 9)
    result = trainer.train()
    trainer.close()
    train_rate = (result.env_steps - sc.batch_size) / result.wall_seconds
    raw_rate = raw_stepping_rate(sc.env_id, sc.num_envs, sc.vector_mode, args.raw_seconds)
  finally:
    shutil.rmtree(run_dir, ignore_errors=True)
  other = result.wall_seconds - result.sample_seconds - result.update_seconds
  print(f"env            {sc.env_id}  ({sc.num_envs} envs, {sc.vector_mode}, "
        f"{sc.batch_size} steps/iteration, fvp={base.trpo.fvp_mode})")
  print(f"raw stepping   {raw_rate:10.0f} env-steps/s  (random actions, same vector env)")
  print(f"training       {train_rate:10.0f} env-steps/s  ({result.env_steps - sc.batch_size} steps, "
        f"{result.wall_seconds:.1f} s)")
  print(f"  split        sampling {result.sample_seconds:.1f} s, update {result.update_seconds:.1f} s, "
        f"other {other:.1f} s")
  print(f"ratio          {train_rate / raw_rate:10.3f}  (target >= 0.75)")


if __name__ == "__main__":
  main()
