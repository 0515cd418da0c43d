"""Forward-over-backward vs analytic Jᵀ M J Fisher-vector products: time per update, equal results.

  python benchmarks/fvp.py [--presets hopper,walker2d,halfcheetah,ant,breakout] [--repeats 20]
      [--learning hopper --seeds 0,1,2]

For each preset: the preset's policy network, a batch of the preset's size of real
observations (random-action rollouts of its env) with actions drawn from the policy
and random advantages; then, for each FVP formulation, the median wall time of
  - one Fisher-vector product (compiled), and
  - one whole compiled TRPO update (gradient, CG with the preset's cg_iters, line search),
from the same starting weights. "Equal results": the relative difference of the two
updates' parameter steps (both formulations are exact; tests/test_fisher.py checks
them against explicit Fisher matrices). Prints a table, writes benchmarks/results/fvp.csv.
With --learning PRESET, also trains PRESET with --fvp_mode=analytic for the seeds (1M steps,
suite.py) and compares its final returns and update time with the default runs of
benchmarks/mujoco_suite.py (trained if missing): equal results at the level of learning.
"""

import argparse
import csv
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

from trpo_tf import flat
from trpo_tf.config import FVP_MODES
from trpo_tf.fisher import make_fvp, raw_variables
from trpo_tf.networks import build_networks
from trpo_tf.presets import preset
from trpo_tf.runtime import configure_tensorflow
from trpo_tf.sampling.envs import make_env, observation_dtype
from trpo_tf.trpo_step import TRPOUpdater

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def observations(env_id: str, n: int, seed: int = 0) -> np.ndarray:
  env = make_env(env_id)
  env.action_space.seed(seed)
  obs, _ = env.reset(seed=seed)
  out = []
  while len(out) < n:
    out.append(np.asarray(obs))
    obs, _, terminated, truncated, _ = env.step(env.action_space.sample())
    if terminated or truncated:
      obs, _ = env.reset()
  env.close()
  return np.stack(out).astype(observation_dtype(env.observation_space))


def median_seconds(fn, repeats: int) -> float:
  fn()  # trace / warm up
  times = []
  for _ in range(repeats):
    t = time.perf_counter()
    fn()
    times.append(time.perf_counter() - t)
  return float(np.median(times))


def measure(name: str, repeats: int):
  config = preset(name)
  env = make_env(config.sampler.env_id)
  policy, _ = build_networks(env.observation_space, env.action_space, config.network)
  env.close()
  batch = config.sampler.batch_size
  obs = tf.constant(observations(config.sampler.env_id, batch))
  actions = policy.sample(obs, tf.constant([0, 1]))
  advantages = tf.constant(np.random.default_rng(0).standard_normal(batch), tf.float32)
  variables = raw_variables(policy)
  start = flat.get_flat(variables)
  n_params = int(start.shape[0])
  old_params = tuple(tf.stop_gradient(p) for p in policy.dist_params(obs))
  rows, steps = [], {}
  v = tf.constant(np.random.default_rng(1).standard_normal(n_params), tf.float32)
  k = max(1, int(batch * config.trpo.fisher_subsample))      # the states the update's Fisher uses
  fisher_obs, fisher_params = obs[:k], tuple(p[:k] for p in old_params)
  for mode in FVP_MODES:
    fvp = tf.function(lambda x, mode=mode: make_fvp(policy, fisher_obs, fisher_params, config.trpo.cg_damping,
                                                    mode)(x))
    fvp_s = median_seconds(lambda fvp=fvp: fvp(v).numpy(), repeats)
    updater = TRPOUpdater(policy, config.trpo.__class__(**dict(config.trpo.__dict__, fvp_mode=mode)))

    def update(updater=updater):
      flat.set_flat(variables, start)
      return updater.update(obs, actions, advantages)
    update_s = median_seconds(lambda: update().status.numpy(), repeats)
    info = update()
    steps[mode] = (flat.get_flat(variables) - start).numpy()
    flat.set_flat(variables, start)
    rows.append(dict(preset=name, env_id=config.sampler.env_id, params=n_params, batch=batch,
                     fisher_states=int(batch * config.trpo.fisher_subsample) if config.trpo.fisher_subsample < 1
                     else batch, cg_iters=config.trpo.cg_iters, mode=mode, fvp_ms=1e3 * fvp_s,
                     update_ms=1e3 * update_s, kl=float(info.mean_kl)))
  a, b = steps[FVP_MODES[0]], steps[FVP_MODES[1]]
  rel = float(np.linalg.norm(a - b) / max(np.linalg.norm(a), 1e-12))
  for r in rows:
    r["step_rel_diff"] = rel
  return rows


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--presets", default="hopper,walker2d,halfcheetah,ant,breakout")
  parser.add_argument("--repeats", type=int, default=20)
  parser.add_argument("--learning", default="", help="a preset to train with both formulations")
  parser.add_argument("--seeds", default="0,1,2")
  parser.add_argument("--steps", type=int, default=1_000_000)
  args = parser.parse_args()
  configure_tensorflow(1, 1, True)   # the trainer's setting for MuJoCo (runtime.py)
  rows = []
  for name in args.presets.split(","):
    rows += measure(name, args.repeats)
  os.makedirs(RESULTS, exist_ok=True)
  with open(os.path.join(RESULTS, "fvp.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
  print("| preset | params | Fisher states | FVP fwd-over-bwd | FVP analytic | speed-up | "
        "update fwd-over-bwd | update analytic | speed-up | step rel. diff |")
  print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
  for i in range(0, len(rows), 2):
    fb, an = rows[i], rows[i + 1]
    print(f"| {fb['preset']} | {fb['params']:,} | {fb['fisher_states']:,} | {fb['fvp_ms']:.2f} ms | "
          f"{an['fvp_ms']:.2f} ms | {fb['fvp_ms'] / an['fvp_ms']:.2f}× | {fb['update_ms']:.1f} ms | "
          f"{an['update_ms']:.1f} ms | {fb['update_ms'] / an['update_ms']:.2f}× | {fb['step_rel_diff']:.1e} |")
  if args.learning:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from suite import parse_seeds
    learning_comparison(args.learning, parse_seeds(args.seeds), args.steps)


def learning_comparison(name: str, seeds, steps: int) -> None:
  """Final deterministic returns and mean update time per iteration, both formulations, same seeds."""
  import csv as csv_module
  sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
  from plot_curves import plot_groups
  from suite import RESULTS as results_dir, copy_curves, ensure_runs, steps_tag, summarise
  ensure_runs([name], seeds, steps)
  ensure_runs([name], seeds, steps, extra=["--fvp_mode=analytic"], variant="analytic")
  print(f"\n| {name}, {steps:,} steps | final return, mean over seeds | per seed | update s / iteration |")
  print("|---|---:|---|---:|")
  groups = {}
  for label, variant in (("forward-over-backward", ""), ("analytic", "analytic")):
    runs = groups[label] = [summarise(name, s, steps, variant) for s in seeds]
    copy_curves(runs, os.path.join(results_dir, "curves"))
    update = []
    for r in runs:
      with open(os.path.join(r.run_dir, "progress.csv")) as f:
        update += [float(row["time/update_seconds"]) for row in csv_module.DictReader(f)]
    returns = [r.eval_mean for r in runs]
    print(f"| {label} | {np.mean(returns):,.0f} | {' / '.join(f'{x:,.0f}' for x in returns)} | "
          f"{np.mean(update):.3f} |")
  plot_groups({label: [r.run_dir for r in runs] for label, runs in groups.items()},
              os.path.join(results_dir, f"fvp_{name}_learning_{steps_tag(steps)}.png"),
              title=f"{name}: the two Fisher-vector products, {len(seeds)} seeds each",
              final_points={label: [(r.env_steps, r.eval_mean) for r in runs] for label, runs in groups.items()})


if __name__ == "__main__":
  main()
