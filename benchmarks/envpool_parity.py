"""EnvPool vs gymnasium: the evidence that the EnvPool backend trains on the same tasks.

  python benchmarks/envpool_parity.py --random [--envs hopper,...] [--episodes 200] [--name envpool_random_parity]
  python benchmarks/envpool_parity.py --learning [--envs hopper,halfcheetah] [--seeds 0,1,2]
  python benchmarks/envpool_parity.py --physics [--envs swimmer,...] [--name envpool_physics_parity]
  python benchmarks/envpool_parity.py --trained benchmarks/runs/ant-1000k-s{0,1} ... [--episodes 50]
      [--stochastic] [--name envpool_trained_parity]

--random: per task, spaces side by side, then random-policy episodes (uniform actions)
collected through trpo_tf's own sampler on each backend, and two-sample tests of
their returns and lengths (Welch's t with a normal approximation, n ≥ 200 each, and
the two-sample Kolmogorov-Smirnov test). Writes <name>.{md,csv} (default
envpool_random_parity). "breakout" is ALE/Breakout-v5 with the Atari benchmark's
training protocol: a lost life ends the episode (so an episode is a life) and FIRE
serves each ball (--terminal_on_life_loss --fire_reset).
--learning: the presets trained for 1M steps on each backend (run variants
"gymnasium" and "envpool" in benchmarks/runs/; see suite.py), final
deterministic evaluations on gymnasium's env in a table and a PNG per task.
--physics: one step at a time from the same state with the same action: gymnasium's env is set
to each state EnvPool reaches (an observation holds all of qpos but the translation the dynamics
do not depend on, and all of qvel) and both take one step under random actions; per task the
median and largest difference of the next observations over 200 steps, with the MuJoCo version
gymnasium runs on (EnvPool carries its own, 3.6). Round-off (~1e-15) means one physics. Writes
<name>.{md,csv} (default envpool_physics_parity).
--trained: finished runs' final deterministic policies (exported SavedModels) played
on both backends' training envs, each sub-env's first episode (--episodes of them,
default 50; sub-env i starts from seed + EVAL_SEED_OFFSET + i, so gymnasium's first 10
are the run's final evaluation). Random actions rarely leave the states a walking
policy visits, so this is the test that the two simulators agree where learning
happens. Per run: both means, their difference and Welch's p; then the mean paired
difference over the runs. Writes <name>.{md,csv} (default envpool_trained_parity).
--trained --stochastic: the same with the runs' final *stochastic* policies (Gaussian draws from the
SavedModel's `distribution` signature, one numpy stream seeded alike on both backends): the policy
the last training batches were sampled with, so a difference in the training signal would show
here (default name envpool_trained_parity_stochastic).
"""

import argparse
import math
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from plot_curves import plot_groups
from suite import (RESULTS, add_run_flags, ensure_runs, export_run, parse_seeds, read_json, serving_actor, steps_tag,
                   summarise, write_rows)

from trpo_tf.checkpoints import CONFIG_FILE, EVAL_FILE
from trpo_tf.config import EVAL_SEED_OFFSET, SamplerConfig
from trpo_tf.sampling.envpool_env import MUJOCO_V5
from trpo_tf.sampling.envs import action_to_env
from trpo_tf.sampling.factory import make_sampler
from trpo_tf.sampling.rollout_worker import make_training_vector_env

ENV_IDS = {"swimmer": "Swimmer-v5", "hopper": "Hopper-v5", "walker2d": "Walker2d-v5",
           "halfcheetah": "HalfCheetah-v5", "ant": "Ant-v5", "breakout": "ALE/Breakout-v5"}
SAMPLER_SETTINGS = {"breakout": dict(terminal_on_life_loss=True, fire_reset=True)}   # benchmarks/atari.py's protocol
BACKENDS = ("gymnasium", "envpool")


class UniformActor:
  def __init__(self, space, seed: int):
    self.space, self.rng = space, np.random.default_rng(seed)

  def start_batch(self, vector_step):
    pass

  def __call__(self, obs):
    if hasattr(self.space, "n"):   # discrete
      return self.rng.integers(0, self.space.n, len(obs))
    shape = (len(obs),) + self.space.shape
    return self.rng.uniform(self.space.low, self.space.high, shape).astype(np.float32)


def random_episodes(env: str, backend: str, episodes: int, seed: int = 0):
  """(returns, lengths) of the first `episodes` episodes of a uniform-random policy on 8 envs."""
  sampler = make_sampler(SamplerConfig(env_id=ENV_IDS[env], num_envs=8, env_backend=backend, normalize_rewards=False,
                                       **SAMPLER_SETTINGS.get(env, {})), gamma=0.99, seed=seed)
  sampler.reset(seed)
  actor = UniformActor(sampler.action_space, seed)
  returns, lengths = [], []
  while len(returns) < episodes:
    batch = sampler.collect(actor, 256)
    returns += batch.episode_returns
    lengths += batch.episode_lengths
  own = getattr(sampler.env, "_pool", None)   # EnvPool's own spaces (the sampler exposes gymnasium's)
  spaces = (own.single_observation_space, own.single_action_space) if own is not None else \
      (sampler.observation_space, sampler.action_space)
  sampler.close()
  return np.array(returns[:episodes]), np.array(lengths[:episodes]), spaces


def _spaces(spaces) -> str:
  obs, act = spaces
  return f"obs {obs.shape} {obs.dtype}, actions {act}"


def welch_p(a: np.ndarray, b: np.ndarray) -> float:
  """Two-sided p of Welch's t statistic, normal approximation (fine for n ≥ 200)."""
  se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
  if se == 0:
    return 1.0 if a.mean() == b.mean() else 0.0
  return math.erfc(abs(a.mean() - b.mean()) / se / math.sqrt(2))


def ks_p(a: np.ndarray, b: np.ndarray) -> float:
  """Two-sample Kolmogorov-Smirnov test, asymptotic p-value."""
  grid = np.sort(np.concatenate([a, b]))
  d = np.max(np.abs(np.searchsorted(np.sort(a), grid, side="right") / len(a) -
                    np.searchsorted(np.sort(b), grid, side="right") / len(b)))
  n = len(a) * len(b) / (len(a) + len(b))
  lam = (math.sqrt(n) + 0.12 + 0.11 / math.sqrt(n)) * d
  if lam < 1e-3:
    return 1.0
  return float(min(1.0, max(0.0, 2 * sum((-1) ** (k - 1) * math.exp(-2 * k * k * lam * lam) for k in range(1, 101)))))


def write_tables(name: str, table: str, rows) -> None:
  """Prints the markdown table and writes it to RESULTS/<name>.md, the rows to RESULTS/<name>.csv."""
  print(table)
  with open(os.path.join(RESULTS, f"{name}.md"), "w") as f:
    f.write(table)
  write_rows(rows, os.path.join(RESULTS, f"{name}.csv"))


def random_parity(envs, episodes: int, name: str) -> None:
  rows = []
  for env in envs:
    data = {b: random_episodes(env, b, episodes) for b in BACKENDS}
    (g_ret, g_len, g_spaces), (e_ret, e_len, e_spaces) = data["gymnasium"], data["envpool"]
    row = dict(env_id=ENV_IDS[env], episodes=episodes, gym_spaces=_spaces(g_spaces), envpool_spaces=_spaces(e_spaces),
               gym_return=g_ret.mean(), envpool_return=e_ret.mean(), gym_return_std=g_ret.std(),
               envpool_return_std=e_ret.std(), return_welch_p=welch_p(g_ret, e_ret), return_ks_p=ks_p(g_ret, e_ret),
               gym_length=g_len.mean(), envpool_length=e_len.mean(), length_welch_p=welch_p(g_len, e_len),
               length_ks_p=ks_p(g_len, e_len))
    rows.append(row)
    print(f"{row['env_id']}: return {row['gym_return']:.2f} vs {row['envpool_return']:.2f} "
          f"(Welch p {row['return_welch_p']:.3f}, KS p {row['return_ks_p']:.3f}); length {row['gym_length']:.1f} vs "
          f"{row['envpool_length']:.1f} (Welch p {row['length_welch_p']:.3f}, KS p {row['length_ks_p']:.3f})",
          flush=True)
  lines = ["| task | gymnasium spaces | EnvPool spaces | episodes per backend | return gymnasium | return EnvPool | Welch p | KS p "
           "| length gymnasium | length EnvPool | Welch p | KS p |", "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
  for r in rows:
    lines.append(f"| {r['env_id']} | {r['gym_spaces']} | {r['envpool_spaces']} | {r['episodes']} | {r['gym_return']:.2f} ± {r['gym_return_std']:.2f} "
                 f"| {r['envpool_return']:.2f} ± {r['envpool_return_std']:.2f} | {r['return_welch_p']:.3f} | "
                 f"{r['return_ks_p']:.3f} | {r['gym_length']:.1f} | {r['envpool_length']:.1f} | "
                 f"{r['length_welch_p']:.3f} | {r['length_ks_p']:.3f} |")
  write_tables(name, "\n".join(lines) + "\n", rows)


QPOS_OBSERVED = {"Swimmer-v5": 3, "Hopper-v5": 5, "Walker2d-v5": 8, "HalfCheetah-v5": 8, "Ant-v5": 13}


def one_step_errors(env_id: str, steps: int = 200, seed: int = 3) -> np.ndarray:
  """max |EnvPool's next observation − gymnasium's| of `steps` steps, gymnasium's env set to EnvPool's state
  before every step (uniform actions in ±0.5; an episode's end is followed by EnvPool's reset). A step the two
  end differently (terminated on one only) counts as inf. Walker2d observes its velocities clipped to ±10: from
  a state with a clipped one, the step is not compared. A step with contacts may differ within the constraint
  solver's tolerance, as its warm start is not part of the state set here."""
  import envpool
  import gymnasium as gym
  observed = QPOS_OBSERVED[env_id]
  pool, env = envpool.make_gymnasium(env_id, num_envs=1, seed=seed), gym.make(env_id).unwrapped
  try:
    env.reset(seed=seed)
    obs, _ = pool.reset()
    rng, errors = np.random.default_rng(seed), []
    for _ in range(steps):
      qpos, qvel = env.data.qpos.copy(), env.data.qvel.copy()
      qpos[len(qpos) - observed:], qvel[:] = obs[0, :observed], obs[0, observed:observed + len(qvel)]
      exact = env_id != "Walker2d-v5" or np.abs(qvel).max() < 10
      env.set_state(qpos, qvel)
      action = rng.uniform(-0.5, 0.5, env.action_space.shape).astype(np.float32)
      obs, _, terminated, truncated, _ = pool.step(action[None])
      expected, _, env_terminated, _, _ = env.step(action)
      if bool(terminated[0]) != env_terminated:
        errors.append(np.inf)
      elif exact:
        errors.append(np.abs(obs[0] - expected).max())
      if terminated[0] or truncated[0]:   # EnvPool's next step is the reset (NEXT_STEP autoreset)
        obs, *_ = pool.step(np.zeros((1,) + env.action_space.shape, np.float32))
    return np.array(errors)
  finally:
    pool.close()
    env.close()


def physics_parity(envs, name: str) -> None:
  import mujoco
  rows = []
  for env in envs:
    if ENV_IDS[env] not in QPOS_OBSERVED:
      raise SystemExit(f"error: --physics compares the MuJoCo tasks {sorted(QPOS_OBSERVED)}, not {ENV_IDS[env]}")
    errors = one_step_errors(ENV_IDS[env])
    rows.append(dict(env_id=ENV_IDS[env], mujoco=mujoco.__version__, steps=len(errors),
                     median=float(np.median(errors)), max=float(errors.max())))
  lines = ["| task | gymnasium's MuJoCo | steps compared | median | largest |", "|---|---|---:|---:|---:|"]
  lines += [f"| {r['env_id']} | {r['mujoco']} | {r['steps']} | {r['median']:.1e} | {r['max']:.1e} |" for r in rows]
  write_tables(name, "\n".join(lines) + "\n", rows)


def learning_parity(envs, args) -> None:
  seeds = parse_seeds(args.seeds)
  for backend in BACKENDS:   # explicit, whatever the presets' default backend is
    ensure_runs(envs, seeds, args.steps, args.jobs, extra=[f"--env_backend={backend}"], variant=backend,
                fresh=args.fresh)
  tag = steps_tag(args.steps)
  lines = ["| task | backend | mean ± std | per seed | train time / run |", "|---|---|---:|---|---:|"]
  for env in envs:
    groups = {b: [summarise(env, s, args.steps, b) for s in seeds] for b in BACKENDS}
    for backend, runs in groups.items():
      means = np.array([r.eval_mean for r in runs])
      lines.append(f"| {ENV_IDS[env]} | {backend} | {means.mean():,.0f} ± {means.std():,.0f} | "
                   f"{' / '.join(f'{m:,.0f}' for m in means)} | {np.mean([r.train_seconds for r in runs]):.0f} s |")
    plot_groups({b: [r.run_dir for r in runs] for b, runs in groups.items()},
                os.path.join(RESULTS, f"envpool_{env}_{tag}.png"),
                title=f"{ENV_IDS[env]}: gymnasium vs EnvPool sampling, {len(seeds)} seeds",
                final_points={b: [(r.env_steps, r.eval_mean) for r in runs] for b, runs in groups.items()})
  table = "\n".join(lines)
  print(table)
  with open(os.path.join(RESULTS, f"envpool_learning_{tag}.md"), "w") as f:
    f.write(table + "\n")


def first_episodes(env_id: str, backend: str, act, episodes: int, seed: int):
  """(returns, lengths): the first episode of each of `episodes` sub-envs (sub-env i seeded seed + i) of the
  backend's training vector env, acting with act(observations) → actions (clipped to the Box)."""
  env = make_training_vector_env(SamplerConfig(env_id=env_id, env_backend=backend), episodes, seed)
  try:
    obs, _ = env.reset(seed=seed)
    returns, lengths, done = np.zeros(episodes), np.zeros(episodes, np.int64), np.zeros(episodes, bool)
    while not done.all():   # a finished sub-env's later steps (its reset row, a next episode) are not counted
      obs, reward, terminated, truncated, _ = env.step(action_to_env(act(obs), env.single_action_space))
      returns += np.where(done, 0.0, reward)
      lengths += ~done
      done |= np.asarray(terminated, bool) | np.asarray(truncated, bool)
    return returns, lengths
  finally:
    env.close()


def gaussian_actor(distribution, seed: int):
  """act(observations) → mean + σ·ε, ε ~ N(0, 1) from a numpy stream seeded `seed`: the stochastic policy,
  drawn from distribution(observations) → {"mean", "log_std"} (a SavedModel's `distribution` signature)."""
  import tensorflow as tf
  rng = np.random.default_rng(seed)

  def act(obs):
    out = distribution(tf.constant(obs, tf.float32))
    mean, log_std = np.asarray(out["mean"]), np.asarray(out["log_std"])
    return mean + np.exp(log_std) * rng.standard_normal(mean.shape)
  return act


def trained_parity(runs, episodes: int, name: str, stochastic: bool = False) -> None:
  configs = {}
  for run in runs:
    if not (os.path.isfile(os.path.join(run, EVAL_FILE)) and os.path.isfile(os.path.join(run, CONFIG_FILE))):
      raise SystemExit(f"error: {run} is not a finished run directory (no eval.json and config.json)")
    configs[run] = read_json(os.path.join(run, CONFIG_FILE))
    env_id = configs[run]["sampler"]["env_id"]
    if env_id not in MUJOCO_V5:
      raise SystemExit(f"error: {run} trained {env_id}; --trained plays EnvPool's MuJoCo tasks: {', '.join(MUJOCO_V5)}")
  rows = []
  for run, config in configs.items():
    env_id, seed = config["sampler"]["env_id"], config["run"]["seed"] + EVAL_SEED_OFFSET
    with tempfile.TemporaryDirectory() as tmp:
      model_dir = export_run(run, tmp)
      if stochastic:
        import tensorflow as tf
        distribution = tf.saved_model.load(model_dir).signatures["distribution"]
        actors = [gaussian_actor(distribution, seed) for _ in BACKENDS]   # the same noise stream on each backend
      else:
        actors = [serving_actor(model_dir)] * len(BACKENDS)
      (g_ret, g_len), (e_ret, e_len) = (first_episodes(env_id, b, act, episodes, seed)
                                        for b, act in zip(BACKENDS, actors))
    row = dict(run=os.path.basename(os.path.normpath(run)), env_id=env_id, trained_on=config["sampler"]["env_backend"],
               episodes=episodes, eval_json=read_json(os.path.join(run, EVAL_FILE))["mean_return"],
               gym_first10=g_ret[:10].mean(), gym_return=g_ret.mean(), envpool_return=e_ret.mean(),
               gym_return_std=g_ret.std(), envpool_return_std=e_ret.std(), difference=e_ret.mean() - g_ret.mean(),
               return_welch_p=welch_p(g_ret, e_ret), gym_length=g_len.mean(), envpool_length=e_len.mean())
    rows.append(row)
    print(f"{row['run']}: gymnasium {row['gym_return']:,.0f} (first 10 {row['gym_first10']:,.0f}, eval.json "
          f"{row['eval_json']:,.0f}), EnvPool {row['envpool_return']:,.0f}, Welch p {row['return_welch_p']:.3f}",
          flush=True)
  lines = [f"Final {'stochastic' if stochastic else 'deterministic'} policies.\n",
           "| run | task | trained on | episodes per backend | gymnasium | EnvPool | EnvPool − gymnasium | Welch p | "
           "length gymnasium / EnvPool |", "|---|---|---|---:|---:|---:|---:|---:|---:|"]
  for r in rows:
    lines.append(f"| {r['run']} | {r['env_id']} | {r['trained_on']} | {r['episodes']} | {r['gym_return']:,.0f} ± "
                 f"{r['gym_return_std']:,.0f} | {r['envpool_return']:,.0f} ± {r['envpool_return_std']:,.0f} | "
                 f"{r['difference']:+,.0f} | {r['return_welch_p']:.3f} | {r['gym_length']:.0f} / "
                 f"{r['envpool_length']:.0f} |")
  diffs = np.array([r["difference"] for r in rows])
  summary = (f"\nOver {len(rows)} runs, EnvPool − gymnasium: mean {diffs.mean():+,.1f}"
             + (f", standard error {diffs.std(ddof=1) / math.sqrt(len(diffs)):,.1f}" if len(diffs) > 1 else "")
             + f"; EnvPool higher in {int((diffs > 0).sum())} of {len(diffs)}.\n")
  write_tables(name, "\n".join(lines) + "\n" + summary, rows)


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  add_run_flags(parser, "hopper,halfcheetah")
  parser.set_defaults(envs=None)   # per mode: --random and --learning hopper,halfcheetah; --physics all five
  parser.add_argument("--random", action="store_true", help="random-policy episode parity")
  parser.add_argument("--learning", action="store_true", help="learning parity (1M-step runs)")
  parser.add_argument("--trained", nargs="+", metavar="RUN_DIR", help="trained-policy parity of these finished runs")
  parser.add_argument("--physics", action="store_true", help="one-step dynamics from the same states")
  parser.add_argument("--stochastic", action="store_true", help="--trained: play the stochastic policies")
  parser.add_argument("--episodes", type=int, help="per backend (and task or run): --random 200, --trained 50")
  parser.add_argument("--name", help="names the output files (envpool_random_parity, envpool_trained_parity)")
  args = parser.parse_args()
  envs = (args.envs or "hopper,halfcheetah").split(",")
  physics_envs = args.envs.split(",") if args.envs else [e for e in ENV_IDS if ENV_IDS[e] in QPOS_OBSERVED]
  if not (args.random or args.learning or args.trained or args.physics) or any(e not in ENV_IDS for e in envs):
    raise SystemExit("error: pass --random, --learning, --physics and/or --trained RUN_DIR..., with --envs from "
                     f"{sorted(ENV_IDS)}")
  if args.name and sum(map(bool, (args.random, args.trained, args.physics))) > 1:
    raise SystemExit("error: --name names one mode's files; run --random, --physics and --trained separately to "
                     "name each")
  if args.episodes is not None and args.episodes < 2:
    raise SystemExit(f"error: --episodes must be at least 2 (Welch's test), got {args.episodes}")
  if args.stochastic and not args.trained:
    raise SystemExit("error: --stochastic chooses the policy --trained plays; pass --trained RUN_DIR...")
  if args.trained:
    trained_parity(args.trained, args.episodes or 50,
                   args.name or ("envpool_trained_parity_stochastic" if args.stochastic else "envpool_trained_parity"),
                   args.stochastic)
  if args.random:
    random_parity(envs, args.episodes or 200, args.name or "envpool_random_parity")
  if args.physics:
    physics_parity(physics_envs, args.name or "envpool_physics_parity")
  if args.learning:
    learning_parity(envs, args)


if __name__ == "__main__":
  main()
