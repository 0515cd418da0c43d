"""The PyTorch peer, sb3-contrib TRPO with rl-baselines3-zoo's MuJoCo settings, on one env id and seed.

  python -m venv .peer && .peer/bin/pip install -r benchmarks/peer_requirements.txt
  .peer/bin/python benchmarks/peer_sb3.py --env_id=Ant-v5 --seed=0 [--steps=1000000] [--csv=out.csv]

Not part of trpo_tf and not imported by it or its tests (it needs PyTorch): it measures the peer
under the same protocol as benchmarks/mujoco_suite.py, i.e. 1M env steps, then the final policy's
deterministic return over 10 episodes of gymnasium's env (episode i reset with seed i), with the
training observation statistics frozen. Settings: rl-baselines3-zoo hyperparams/trpo.yml, the
"mujoco-defaults" anchor (Ant-v4 ... Walker2d-v4): VecNormalize, 2 envs × 1,024 steps, minibatch 128,
γ 0.99, GAE λ 0.95, 25 CG iterations, damping 0.1, 20 critic updates at lr 1e-3, δ = 0.01 (sb3's
target_kl default), 64-64 tanh, σ₀ = 1; Swimmer γ 0.9999, HalfCheetah δ 0.04, as the zoo sets them.
One torch thread, as the peer was measured before (issue 13's table).
"""

import argparse
import csv
import os
import time

import gymnasium as gym
import numpy as np
import torch
from sb3_contrib import TRPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import VecNormalize

ZOO_MUJOCO = dict(n_steps=1024, batch_size=128, gamma=0.99, gae_lambda=0.95, sub_sampling_factor=1,
                  cg_max_steps=25, cg_damping=0.1, n_critic_updates=20, learning_rate=1e-3)
ZOO_PER_TASK = {"Swimmer": dict(gamma=0.9999), "HalfCheetah": dict(target_kl=0.04)}


def settings(env_id: str) -> dict:
  """The zoo's TRPO settings for a MuJoCo env id (its family name before '-v')."""
  return dict(ZOO_MUJOCO, **ZOO_PER_TASK.get(env_id.split("-v")[0], {}))


def evaluate(model, venv: VecNormalize, env_id: str, episodes: int) -> np.ndarray:
  """Deterministic returns on gymnasium's env, observations normalised with the training statistics
  (VecNormalize.normalize_obs reads them without updating them)."""
  env = gym.make(env_id)
  returns = []
  for episode in range(episodes):
    obs, _ = env.reset(seed=episode)
    done, total = False, 0.0
    while not done:
      action, _ = model.predict(venv.normalize_obs(obs).astype(np.float32), deterministic=True)
      obs, reward, terminated, truncated, _ = env.step(action)
      total += float(reward)
      done = terminated or truncated
    returns.append(total)
  env.close()
  return np.asarray(returns)


def dump_update(model, path: str, first: bool) -> None:
  """One rollout and one sb3 TRPO update on it: the batch (observations as the policy saw them, i.e.
  normalised) and the policy's parameters before and after, for an identical-batch comparison."""
  _, callback = model._setup_learn(model.n_steps * model.n_envs, callback=None, reset_num_timesteps=first,
                                   progress_bar=False)
  callback.on_training_start(locals(), globals())
  model.collect_rollouts(model.env, callback, model.rollout_buffer, n_rollout_steps=model.n_steps)
  buffer = model.rollout_buffer
  params = lambda: {k: v.detach().numpy().copy() for k, v in model.policy.state_dict().items()}
  before = params()
  model.train()
  after = params()
  arrays = dict(obs=buffer.observations.reshape(-1, buffer.observations.shape[-1]),
                actions=buffer.actions.reshape(-1, buffer.actions.shape[-1]),
                advantages=buffer.advantages.reshape(-1), target_kl=np.float64(model.target_kl),
                cg_iters=np.int64(model.cg_max_steps), cg_damping=np.float64(model.cg_damping))
  arrays.update({f"before/{k}": v for k, v in before.items()})
  arrays.update({f"after/{k}": v for k, v in after.items()})
  np.savez(path, **arrays)
  print(f"wrote {path}: {len(arrays['obs'])} rows, one update", flush=True)


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--env_id", default="Ant-v5")
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--steps", type=int, default=1_000_000)
  parser.add_argument("--eval_episodes", type=int, default=10)
  parser.add_argument("--csv", default="", help="append one row (env, seed, steps, eval mean/std, train s)")
  parser.add_argument("--monitor_dir", default="", help="write each env's training episodes (sb3 Monitor CSVs)")
  parser.add_argument("--verbose", action="store_true", help="print sb3's table per update (KL, std, explained variance)")
  parser.add_argument("--dump_update", default="", help="after --steps of training, collect one more batch, take "
                      "one TRPO update on it and save batch and policy before/after to this .npz "
                      "(for benchmarks/peer_step_compare.py), instead of evaluating")
  args = parser.parse_args()
  torch.set_num_threads(1)
  kwargs = settings(args.env_id)
  gamma = kwargs["gamma"]
  venv = VecNormalize(make_vec_env(args.env_id, n_envs=2, seed=args.seed, monitor_dir=args.monitor_dir or None),
                      gamma=gamma)
  model = TRPO("MlpPolicy", venv, seed=args.seed, verbose=int(args.verbose), **kwargs)
  print(f"sb3-contrib TRPO on {args.env_id}, seed {args.seed}, {args.steps} steps: {kwargs}", flush=True)
  start = time.perf_counter()
  if args.steps:
    model.learn(total_timesteps=args.steps)
  train_seconds = time.perf_counter() - start
  if args.dump_update:
    dump_update(model, args.dump_update, first=not args.steps)
    return
  returns = evaluate(model, venv, args.env_id, args.eval_episodes)
  print(f"trained in {train_seconds:.0f} s; deterministic evaluation over {len(returns)} episodes: "
        f"{returns.mean():.1f} ± {returns.std():.1f}", flush=True)
  if args.csv:
    new = not os.path.exists(args.csv)
    with open(args.csv, "a", newline="") as f:
      writer = csv.writer(f)
      if new:
        writer.writerow(["env_id", "seed", "steps", "eval_mean", "eval_std", "train_seconds"])
      writer.writerow([args.env_id, args.seed, args.steps, f"{returns.mean():.1f}", f"{returns.std():.1f}",
                       f"{train_seconds:.0f}"])


if __name__ == "__main__":
  main()
